/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tls.c - thread-local variables (__thread, _Thread_local) in a peer's
 * catalog (see remote.h).
 *
 * Each thread has its own copy of every thread-local variable, at its
 * thread pointer plus an offset the linker fixed (the executable's TLS
 * block: x86-64's variant II, offsets below the thread pointer).  The
 * plugin records the offset in the unit's address table (stf-format.h,
 * STF_OF_TLS), every parked thread publishes its thread pointer (root.h).
 * Each copy is cataloged as a static of its own, named after the variable
 * and the thread - "<static ID>@<thread label>", the label as in the IDs
 * of the thread's locals ("main", "worker#1") - so it pairs with the copy
 * of the paired thread in the other version and the transfer, the
 * relocation of pointers to it and the differencing treat it as any
 * static.  A copy without a counterpart (a thread the other version does
 * not have) is dropped, as a local of such a thread is.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "remote.h"

int stf__add_tls(struct stf_peer *p, char *err, size_t errlen)
{
	for (size_t u = 0; u < p->meta->nunits; u++) {
		const struct stf_meta_unit *mu = &p->meta->units[u];
		for (uint32_t i = 0; i < mu->nobjects; i++) {
			const struct stf_object_rec *r = &mu->objects[i];
			uint64_t off = mu->addrs[i];
			char id[512];

			if (!(r->flags & STF_OF_TLS) || r->kind != STF_O_VAR)
				continue;
			if (!off) {
				/* no offset (built by an older plugin, or in a
				 * shared library): a writable one would come out
				 * reset to its initializer.  Only the source
				 * matters: one new in the destination starts from
				 * its initializer, as in a fresh thread. */
				if (p->self || (r->flags & STF_OF_READONLY))
					continue;
				stf__fail(err, errlen, "%s: thread-local variable without its "
					  "offset in the metadata (rebuild with this version's "
					  "plugin): its value in each thread cannot be transferred",
					  stf_meta_str(mu, r->id));
				return -1;
			}
			for (size_t t = 0; t < p->ntls; t++) {
				struct stf_obj o = { 0 };
				if (!p->tls[t].tp)
					continue;
				snprintf(id, sizeof(id), "%s@%s", stf_meta_str(mu, r->id),
					 p->tls[t].label);
				o.addr = p->tls[t].tp + off;
				o.size = r->size;
				o.id = stf__arena_strdup(p->arena, id);
				o.unit = r->type < mu->ntypes ? mu : NULL;
				o.type = r->type;
				o.kind = (r->flags & STF_OF_READONLY) ? STF_OBJ_CONST : STF_OBJ_STATIC;
				if (r->flags & STF_OF_IXFER)
					o.flags |= STF_OBJF_IXFER;
				if (r->flags & STF_OF_PXFER)
					o.flags |= STF_OBJF_PXFER;
				if (!o.id || stf__peer_add(p, &o) == (size_t)-1) {
					stf__fail(err, errlen, "out of memory cataloging "
						  "thread-local variables");
					return -1;
				}
			}
		}
	}
	return 0;
}
