/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * slot-members.c - the slab of a rebuilt slot site (slots.c) that is no
 * object of its own: a member of a static the allocator is given the
 * address of (slab_alloc(&srv.conns)), or an element of the allocator's
 * statics an integer chooses (obj_alloc(KIND_CONN)).  The static is
 * transferred but for the slab's bytes, which keep the destination's
 * allocator state (stf__slot_keep_caches).
 */
#include <inttypes.h>
#include <string.h>

#include "engine.h"
#include "remote.h"
#include "slots.h"
#include "xfer.h"

/* Size of what slot allocator f's first parameter points to (the slab's
 * struct: slab_alloc(struct slab *)); 0 if not known. */
static uint64_t slab_param_size(const struct stf_obj *f)
{
	if (!f || f->kind != STF_OBJ_FUNC || !f->unit || f->type >= f->unit->ntypes)
		return 0;
	const struct stf_meta_unit *u = f->unit;
	const struct stf_type_rec *ft = T(u, strip(u, f->type));
	if (ft->kind != STF_K_FUNCTION || !ft->nmembers)
		return 0;
	const struct stf_type_rec *pt = T(u, strip(u, u->members[ft->members].type));
	if (pt->kind != STF_K_POINTER || pt->target >= u->ntypes)
		return 0;
	return T(u, strip(u, pt->target))->size;
}

/*
 * Group g's slab is a member of a static, g->len bytes at g->off into
 * source object g->cache (slab_alloc(&srv.conns), or caches[kind] of
 * obj_alloc(kind)): the destination's same static, as its startup set
 * it, has the destination's slab at the member the address maps to
 * (g->dslab).  Only those bytes of the static keep the destination's
 * values (stf__slot_keep_caches); the rest of it is transferred.  1, or
 * 0 (why).
 */
int stf__slot_member_of_static(struct stf_xfer *x, struct stf_slot_group *g, char *why,
				size_t whylen)
{
	const struct stf_obj *c = &x->src->objs[g->cache];
	g->dcache = x->pair[g->cache].dst;
	if (g->dcache < 0) {
		snprintf(why, whylen, "the %s version has no static %s holding its slab",
			 x->dir == STF_FORWARD ? "new" : "old", c->id);
		return 0;
	}
	const struct stf_obj *d = &x->dst->objs[g->dcache];
	uint8_t *now = stf__arena_alloc(x->arena, g->len);
	if (stf__xfer_relocate(x, c->addr + g->off, &g->dslab) < 0 || g->dslab < d->addr ||
	    g->dslab + g->len > d->addr + d->size || !now) {
		snprintf(why, whylen, "the slab's member of %s has no place in the %s version's "
			 "%s", c->id, x->dir == STF_FORWARD ? "new" : "old", c->id);
		return 0;
	}
	if (stf__peer_read(x->dst, g->dslab, now, g->len) < 0 || stf__all_zero(now, g->len)) {
		snprintf(why, whylen, "the %s version's startup left its slab in %s unset (set "
			 "it up at every start, also when stf_is_updating())",
			 x->dir == STF_FORWARD ? "new" : "old", c->id);
		return 0;
	}
	return 1;
}

/* Group g's slab is a member of a static whose address the allocator
 * (source function f) takes: its size is what f's parameter points to,
 * the allocator's argument the member's address in the destination. */
int stf__slot_member_slab(struct stf_xfer *x, struct stf_slot_group *g,
			  const struct stf_obj *f, char *why, size_t whylen)
{
	const struct stf_obj *c = &x->src->objs[g->cache];
	g->len = slab_param_size(f);
	if (!g->len || g->off + g->len > c->size) {
		snprintf(why, whylen, "its allocator's slab is a member of the static %s, but "
			 "the allocator's parameter does not say how large the slab is (declare "
			 "it taking a pointer to the slab's struct)", c->id);
		return 0;
	}
	if (!stf__slot_member_of_static(x, g, why, whylen))
		return 0;
	g->darg = g->dslab;
	return 1;
}

/* The element of static o holding byte `off` (*start, *len): of an
 * array, the element; else the whole static. */
void stf__slot_element_at(const struct stf_obj *o, uint64_t off, uint64_t *start,
			  uint64_t *len)
{
	*start = 0;
	*len = o->size;
	if (!o->unit || o->type >= o->unit->ntypes)
		return;
	const struct stf_type_rec *t = T(o->unit, strip(o->unit, o->type));
	if (t->kind != STF_K_ARRAY || t->target >= o->unit->ntypes)
		return;
	uint64_t es = T(o->unit, strip(o->unit, t->target))->size;
	if (es && es <= o->size) {
		*start = off / es * es;
		*len = es;
	}
}

int stf__slot_chunk_of_site(const struct stf_peer *src, const struct stf_obj *t, const char *site)
{
	uint32_t n;
	const struct stf_obj *subs = stf__peer_subs(src, t, &n);
	for (uint32_t k = 0; k < n; k++)
		if (!strcmp(subs[k].id, site))
			return 1;
	return 0;
}

/*
 * Forward: the slab of a site whose allocator takes an integer choosing
 * it (obj_alloc(KIND_CONN) indexing caches in its statics), called
 * there with `value` only.  Which slab that is, is not in the call: it is
 * the one element of a static holding the old slab's own pointers into
 * the site's chunks (its cursor, its free list: pointers into a chunk of
 * the site's objects, not to one of them).  Pointers of several statics
 * or elements, or none, and the update rolls back (why).  1, or 0.
 */
int stf__slot_chosen_slab(struct stf_xfer *x, const char *site, uint64_t value,
			  struct stf_slot_group *g, char *why, size_t whylen)
{
	const struct stf_peer *src = x->src;
	const struct stf_obj *slab = NULL;
	uint64_t start = 0, len = 0, s, l;
	int several = 0;
	for (size_t i = 0; i < src->nobjs && !several; i++) {
		const struct stf_obj *o = &src->objs[i];
		if (o->kind != STF_OBJ_STATIC || !o->bytes || o->container)
			continue;
		for (uint64_t off = 0; off + 8 <= o->size && !several; off += 8) {
			uint64_t v;
			memcpy(&v, o->bytes + off, 8);
			const struct stf_obj *t = v ? stf__peer_find(src, v) : NULL;
			if (!t || !(t->flags & STF_OBJF_CONTAINER) || t->container ||
			    !stf__slot_chunk_of_site(src, t, site))
				continue;
			stf__slot_element_at(o, off, &s, &l);
			if (slab && (slab != o || s != start))
				several = 1;
			slab = o;
			start = s;
			len = l;
		}
	}
	if (!slab || several) {
		snprintf(why, whylen, "its allocator takes an integer (%" PRIu64 ") choosing its "
			 "slab, and %s static holds pointers into the chunks of its objects, so "
			 "which slab it is is not known", value, several ? "more than one" : "no");
		return 0;
	}
	g->cache = (size_t)(slab - src->objs);
	g->off = start;
	g->len = len;
	g->darg = value;
	g->integer = 1;
	return stf__slot_member_of_static(x, g, why, whylen);
}
