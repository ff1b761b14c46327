/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * typed-walk.c - the calling process's typed state, value by value (see
 * typed-walk.h).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "engine.h"
#include "remote.h"
#include "typed-walk.h"
#include "xfer.h"

const char *stf__typed_walk_path(const struct stf_typed_walk *w, char *buf, size_t len)
{
	size_t n = (size_t)snprintf(buf, len, "%s", w->object);

	for (int i = 0; i < w->depth && n < len; i++)
		n += (size_t)(w->at[i].member ? snprintf(buf + n, len - n, ".%s", w->at[i].member) :
			      snprintf(buf + n, len - n, "[%llu]",
				       (unsigned long long)w->at[i].index));
	return buf;
}

static void walk(struct stf_typed_walk *w, const struct stf_meta_unit *u, uint32_t t, uint8_t *p,
		 uint64_t size, int depth)
{
	const struct stf_type_rec *r;
	uint32_t s;

	if (t >= u->ntypes || depth > STF_WALK_DEPTH || w->visit(w, u, t, p, size))
		return;
	s = strip(u, t);
	if (s >= u->ntypes)
		return;
	r = T(u, s);
	if (r->flags & STF_TF_OPAQUE)
		return;
	if (r->kind == STF_K_STRUCT) {
		for (uint32_t i = 0; i < r->nmembers; i++) {
			const struct stf_member_rec *m = &u->members[r->members + i];

			if (m->bit_size || m->offset < 0 || (uint64_t)m->offset >= size ||
			    (m->flags & STF_MF_IXFER))
				continue;
			w->at[depth].member = stf_meta_str(u, m->name);
			w->depth = depth + 1;
			walk(w, u, m->type, p + m->offset, size - (uint64_t)m->offset, depth + 1);
		}
	} else if (r->kind == STF_K_ARRAY) {
		uint32_t e = r->target;
		uint64_t esz = e < u->ntypes ? T(u, strip(u, e))->size : 0;
		uint64_t count = r->count ? r->count : (esz ? size / esz : 0);

		for (uint64_t i = 0; esz && i < count && (i + 1) * esz <= size; i++) {
			w->at[depth] = (struct stf_walk_at){ NULL, i };
			w->depth = depth + 1;
			walk(w, u, e, p + i * esz, esz, depth + 1);
		}
	}
	/* unions: which member holds the value is unknown; scalars: visited */
}

int stf__typed_walk_state(struct stf_typed_walk *w, char *err, size_t errlen)
{
	struct stf_peer self;

	memset(&self, 0, sizeof(self));
	if (stf__peer_open(&self, getpid(), 0, STF_PEER_STATICS | STF_PEER_DYNAMIC, NULL,
			   err, errlen) < 0) {
		stf__peer_close(&self);
		stf__peer_forget_files();
		return -1;
	}
	for (size_t i = 0; i < self.nobjs; i++) {
		const struct stf_obj *o = &self.objs[i];
		uint64_t esz;

		if (!o->unit || (o->flags & STF_OBJF_INTERNAL) ||
		    (o->kind != STF_OBJ_STATIC && o->kind != STF_OBJ_HEAP && o->kind != STF_OBJ_MMAP))
			continue;
		stf__obj_name(o, w->object, sizeof w->object);
		w->depth = 0;
		esz = o->type < o->unit->ntypes ? T(o->unit, strip(o->unit, o->type))->size : 0;
		if (o->kind == STF_OBJ_STATIC || !esz) {
			walk(w, o->unit, o->type, (uint8_t *)(uintptr_t)o->addr, o->size, 0);
			continue;
		}
		for (uint64_t k = 0; (k + 1) * esz <= o->size; k++) {  /* heap: elements */
			w->at[0] = (struct stf_walk_at){ NULL, k };
			w->depth = 1;
			walk(w, o->unit, o->type, (uint8_t *)(uintptr_t)o->addr + k * esz, esz, 1);
		}
	}
	stf__peer_close(&self);
	/* its copies of the ELF files, mapped while this process becomes the
	 * running version, would be taken for its libraries by the next
	 * update (respawn.c) */
	stf__peer_forget_files();
	return 0;
}
