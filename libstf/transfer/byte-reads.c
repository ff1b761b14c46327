/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * byte-reads.c - statics whose bytes the code reads through a char
 * pointer and mixes into what it computes (STF_USE_BYTES_READ records,
 * gcc-plugin/byte-reads.cc).  dnsmasq's hash_bucket() hashes names with
 * the bytes of `typestr`, a table of {type, name} pairs: the names are
 * string literals, at other addresses in the new version, so every name
 * hashes to another bucket than the transferred table holds it in, and
 * the round trip cannot see it (the state is byte-identical).  When such
 * a static's bytes differ in the new version (after the transfer: a
 * writable static's pointers relocated; a constant is the new
 * executable's own) and the new version mixes them in too, rebuilding
 * nothing (no STF_BYTES_REBUILT on it), the update rolls back naming the
 * static, the function and the fix.  The same executable at the same
 * base commits.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "callbacks.h"
#include "engine.h"
#include "remote.h"

/* The source object of static ID id, NULL if none. */
static const struct stf_obj *src_static(const struct stf_peer *p, const char *id)
{
	for (size_t i = 0; i < p->nobjs; i++) {
		const struct stf_obj *o = &p->objs[i];
		if ((o->kind == STF_OBJ_STATIC || o->kind == STF_OBJ_CONST) && !strcmp(o->id, id))
			return o;
	}
	return NULL;
}

/* The first record of m saying the bytes of static id are read, NULL if
 * none. */
static const struct stf_use_rec *first_read(const struct stf_meta *m, const char *id)
{
	for (size_t k = 0; k < m->nunits; k++) {
		const struct stf_meta_unit *u = &m->units[k];
		for (uint32_t i = 0; i < u->nuses; i++)
			if ((u->uses[i].flags & STF_USE_BYTES_READ) &&
			    !strcmp(stf_meta_str(u, u->uses[i].member), id))
				return &u->uses[i];
	}
	return NULL;
}

/* The first byte at which the static's old bytes (so) and new ones (d,
 * the destination object j) differ, or -1 when they are equal; -2 when
 * either cannot be read (reported). */
static int64_t first_difference(struct stf_xfer *x, const struct stf_obj *so, int64_t j)
{
	const struct stf_obj *d = &x->dst->objs[j];
	uint64_t n = so->size < d->size ? so->size : d->size;
	uint8_t *old = stf__arena_alloc(x->arena, n ? n : 1), *now = x->img[j];
	if (!old || (!now && !(now = stf__arena_alloc(x->arena, n ? n : 1)))) {
		stf__xfail(x, "out of memory");
		return -2;
	}
	if (stf__peer_read(x->src, so->addr, old, n) < 0 ||
	    (now != x->img[j] && stf__peer_read(x->dst, d->addr, now, n) < 0)) {
		stf__xfail(x, "%s: cannot read its bytes in both versions", so->id);
		return -2;
	}
	for (uint64_t b = 0; b < n; b++)
		if (old[b] != now[b])
			return (int64_t)b;
	return so->size == d->size ? -1 : (int64_t)n;
}

int stf__check_byte_reads(struct stf_xfer *x)
{
	const struct stf_meta *m = x->src->meta;
	int refused = 0;
	if (x->dir != STF_FORWARD)
		return 0;
	for (size_t k = 0; k < m->nunits; k++) {
		const struct stf_meta_unit *u = &m->units[k];
		for (uint32_t i = 0; i < u->nuses; i++) {
			const struct stf_use_rec *r = &u->uses[i];
			if (!(r->flags & STF_USE_BYTES_READ))
				continue;
			const char *id = stf_meta_str(u, r->member), *fn = stf_meta_str(u, r->via);
			if (first_read(m, id) != r)
				continue; /* reported for its first record */
			const char *dst_id = x->renames ? stf__rename(STF_RENAME_OBJECT, id, x->dir) : id;
			const struct stf_obj *so = src_static(x->src, id);
			uint64_t j;
			/* the new code mixes them in too, and rebuilds nothing
			 * (STF_BYTES_REBUILT records none) */
			if (!so || stf__strmap_get(&x->dst_ids, dst_id, &j) || !first_read(x->dst->meta, dst_id))
				continue;
			int64_t at = first_difference(x, so, (int64_t)j);
			if (at == -2)
				return -1;
			if (at < 0)
				continue;
			char path[256] = "";
			uint32_t leaf;
			if (so->unit && (uint64_t)at < so->size)
				stf__type_path(so->unit, so->type, (uint64_t)at, path, sizeof(path), &leaf);
			if (!*path)
				snprintf(path, sizeof(path), "byte %" PRId64, at);
			refused = 1;
			stf__xfail(x, "%s: %s() reads its bytes through a char pointer (mixing them "
				   "into what it computes: a hash, a slot), and they differ in the new "
				   "version, first in %s (its pointers: addresses, which "
				   "move with the new executable), so what %s() computed before the "
				   "update (the bucket a hash table holds each entry in) would be "
				   "wrong; mix in the members that are no pointers only, or rebuild "
				   "what depends on them in an stf_on_commit() callback and mark %s "
				   "STF_BYTES_REBUILT in the new version", id, fn, path + (*path == '.'),
				   fn, id);
		}
	}
	return refused ? -1 : 0;
}
