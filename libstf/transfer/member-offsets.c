/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * member-offsets.c - offsets of members kept as numbers: an integer
 * member the code adds to a pointer or subtracts from one (the plugin's
 * STF_USE_OFFSET records).  uthash's table keeps the offset of the handle
 * in its elements (`tbl->hho`) and goes from a handle back to its element
 * with `(char *)hhp - tbl->hho`; when the element type gains a member
 * before the handle, that number must become the handle's new offset, or
 * every lookup lands beside its element.
 *
 * The number is the distance between two places of one object of the
 * source: the pointers the struct holding it keeps (and those kept by the
 * objects they point to: a table's bucket array) say which.  A pointer to
 * struct U (the type the code subtracts the offset from) at address a
 * gives the pair (a - v, a); a pointer the code adds the offset to gives
 * (a, a + v); both ends must start structs of one object.  The new value
 * is the distance between the two places in the destination object.
 * Every pair must agree (elements of several types whose offsets differ
 * in the new version roll back); a value that is no struct start in the
 * objects it would reach, or no object reached while a struct holding a
 * U at that offset changed, rolls back naming the member.  The reversed
 * version converts the new offset back the same way (its source is the
 * new version, whose code has the same records).
 */
#include <inttypes.h>
#include <string.h>

#include "engine.h"
#include "remote.h"
#include "untyped.h"
#include "xfer.h"

/* One way the code uses an offset member. */
struct offset_use {
	uint64_t owner;     /* hash of the struct holding the member */
	const char *member;
	uint64_t used;      /* hash of the struct the pointer points to; 0: void */
	int sub;            /* subtracted from the pointer */
};

struct offsets {
	struct stf_xfer *x;
	struct offset_use *use;
	size_t nuse;
	uint8_t **holds;    /* per source unit and type: 0 not known, 1 no, 2 holds an owner */
	/* the object being walked, its counterpart and that one's image */
	const struct stf_obj *o, *dobj;
	const uint8_t *dimg;
};

/* What the pointers of one struct instance say its member holds. */
struct verdict {
	const char *member;
	int64_t v;
	int found;                  /* a pair was found */
	int64_t nv;                 /* the new value it gives */
	const struct stf_obj *elem; /* the object of the first pair */
	const struct stf_obj *other; /* an object whose pair disagrees */
	int64_t other_nv;
	const struct stf_obj *miss; /* an object reached where v starts no struct */
};

static int is_owner(const struct offsets *c, uint64_t hash)
{
	for (size_t k = 0; k < c->nuse; k++)
		if (c->use[k].owner == hash)
			return 1;
	return 0;
}

/* Does a value of type (u, t) hold a struct with an offset member? */
static int holds_owner(struct offsets *c, const struct stf_meta_unit *u, uint32_t t, int depth)
{
	t = strip(u, t);
	if (t >= u->ntypes || depth > 32)
		return 0;
	const struct stf_meta *sm = c->x->src->meta;
	uint8_t *memo = u >= sm->units && u < sm->units + sm->nunits ?
		c->holds[u - sm->units] : NULL;
	if (memo && memo[t])
		return memo[t] == 2;
	const struct stf_type_rec *R = T(u, t);
	int holds = 0;
	if (R->kind == STF_K_ARRAY) {
		holds = holds_owner(c, u, R->target, depth + 1);
	} else if (R->kind == STF_K_STRUCT || R->kind == STF_K_UNION) {
		holds = is_owner(c, R->hash);
		for (uint32_t i = 0; i < R->nmembers && !holds; i++)
			holds = holds_owner(c, u, u->members[R->members + i].type, depth + 1);
	}
	if (memo)
		memo[t] = holds ? 2 : 1;
	return holds;
}

/* The width of an integer member: 1, 2, 4 or 8, else 0. */
static unsigned int_width(const struct stf_meta_unit *u, const struct stf_member_rec *r)
{
	uint32_t t = strip(u, r->type);
	if (t >= u->ntypes || r->bit_size || (T(u, t)->kind != STF_K_INT && T(u, t)->kind != STF_K_ENUM))
		return 0;
	uint64_t w = T(u, t)->size;
	return w == 1 || w == 2 || w == 4 || w == 8 ? (unsigned)w : 0;
}

/* The pair of places the pointer a (to a struct of hash `to`, 0: void)
 * gives for offset v; the verdict updated.  -1: failed (reported). */
static int weigh(struct offsets *c, struct verdict *vd, uint64_t a, uint64_t to, int sub)
{
	struct stf_xfer *x = c->x;
	const struct stf_range *r = a ? stf__index_find(&x->src->index, a, 0) : NULL;
	if (!r)
		return 0;
	const struct stf_obj *t = &x->src->objs[r->value];
	int64_t j = x->pair[r->value].dst;
	if (!t->unit || j < 0 || !x->dst->objs[j].unit)
		return 0;
	const struct stf_obj *dt = &x->dst->objs[j];
	uint64_t start = sub ? a - (uint64_t)vd->v : a, end = sub ? a : a + (uint64_t)vd->v;
	uint64_t s_in = stf__elem_off(t, start - t->addr), e_in = stf__elem_off(t, end - t->addr);
	/* both places in one element, each the start of a struct */
	if (start < t->addr || start > end || end >= t->addr + t->size ||
	    start - t->addr - s_in != end - t->addr - e_in ||
	    !stf__hash_at(t->unit, t->type, s_in, sub ? 0 : to, 0) ||
	    !stf__hash_at(t->unit, t->type, e_in, sub ? to : 0, 0)) {
		/* A number subtracted from a pointer to a struct can only
		 * lead back to what holds that struct: one that does not is
		 * no offset the transfer can convert.  One added to a
		 * pointer may be a length (`(char *)h + h->len`, the next
		 * record): it is just not about this object. */
		if (sub && !vd->miss)
			vd->miss = t;
		return 0;
	}
	uint64_t ds, de;
	if (stf__map_obj_off(x, t, dt, start - t->addr, &ds, NULL) < 0 ||
	    stf__map_obj_off(x, t, dt, end - t->addr, &de, NULL) < 0)
		return -1;
	int64_t nv = (int64_t)(de - ds);
	if (!vd->found) {
		vd->found = 1;
		vd->nv = nv;
		vd->elem = t;
	} else if (nv != vd->nv && !vd->other) {
		vd->other = t;
		vd->other_nv = nv;
	}
	return 0;
}

/* The pointers of a struct (its layout l over n elements at b) weighed
 * for every use of the member. */
static int weigh_pointers(struct offsets *c, struct verdict *vd, uint64_t owner,
			  const struct stf_layout *l, const uint8_t *b, uint64_t n,
			  const struct stf_obj **hop, size_t *nhop, size_t maxhop)
{
	for (uint64_t e = 0; e < n; e++)
		for (size_t k = 0; k < l->n; k++) {
			const struct stf_leaf *f = &l->leaves[k];
			if (f->kind != STF_LEAF_PTR || !f->unit || f->type >= f->unit->ntypes)
				continue;
			uint64_t a;
			memcpy(&a, b + e * l->size + f->off, 8);
			if (!a)
				continue;
			uint32_t pt = strip(f->unit, f->type);
			const struct stf_type_rec *P = pt < f->unit->ntypes ? T(f->unit, pt) : NULL;
			uint64_t to = P && P->kind == STF_K_VOID ? 0 :
				      P && (P->kind == STF_K_STRUCT || P->kind == STF_K_UNION) ?
				      P->hash : 1;
			for (size_t q = 0; q < c->nuse && to != 1; q++)
				if (c->use[q].owner == owner && !strcmp(c->use[q].member, vd->member) &&
				    c->use[q].used == to && weigh(c, vd, a, to, c->use[q].sub) < 0)
					return -1;
			if (hop && *nhop < maxhop) {
				const struct stf_range *r = stf__index_find(&c->x->src->index, a, 0);
				if (r)
					hop[(*nhop)++] = &c->x->src->objs[r->value];
			}
		}
	return 0;
}

/* Does a value of type (u, t) hold a struct of hash `hash` (not behind
 * pointers)? */
static int holds_struct(const struct stf_meta_unit *u, uint32_t t, uint64_t hash, int depth)
{
	t = strip(u, t);
	if (t >= u->ntypes || depth > 32)
		return 0;
	const struct stf_type_rec *R = T(u, t);
	if (R->kind == STF_K_ARRAY)
		return holds_struct(u, R->target, hash, depth + 1);
	if (R->kind != STF_K_STRUCT && R->kind != STF_K_UNION)
		return 0;
	if (R->hash == hash)
		return 1;
	for (uint32_t i = 0; i < R->nmembers; i++)
		if (holds_struct(u, u->members[R->members + i].type, hash, depth + 1))
			return 1;
	return 0;
}

/* Is object t an element: does it hold a struct the code adds
 * vd->member (of struct owner) to or subtracts it from? */
static int holds_used(const struct offsets *c, const struct verdict *vd, uint64_t owner,
		      const struct stf_obj *t)
{
	for (size_t q = 0; q < c->nuse; q++)
		if (c->use[q].owner == owner && c->use[q].used &&
		    !strcmp(c->use[q].member, vd->member) &&
		    holds_struct(t->unit, t->type, c->use[q].used, 0))
			return 1;
	return 0;
}

#define HOPS 64

/* What the pointers reached from struct instance s (type su/st) say
 * vd->member holds. */
static int weigh_instance(struct offsets *c, struct verdict *vd, const struct stf_meta_unit *su,
			  uint32_t st, const uint8_t *s)
{
	struct stf_xfer *x = c->x;
	const struct stf_obj *hop[HOPS];
	size_t nhop = 0;
	const struct stf_layout *l = stf__layout(x->layouts, su, st);
	if (!l) {
		stf__xfail(x, "out of memory");
		return -1;
	}
	if (weigh_pointers(c, vd, T(su, st)->hash, l, s, 1, hop, &nhop, HOPS) < 0)
		return -1;
	/* the objects the struct points to that point to elements (a
	 * table's buckets), not the elements themselves: those link to
	 * other tables' handles too */
	for (size_t k = 0; k < nhop; k++) {
		const struct stf_obj *t = hop[k];
		const struct stf_layout *tl = t->unit && t->bytes ?
			stf__layout(x->layouts, t->unit, t->type) : NULL;
		if (!tl || !tl->nptrs || !tl->size || holds_used(c, vd, T(su, st)->hash, t))
			continue;
		size_t q = 0;
		while (q < k && hop[q] != t)
			q++;
		if (q < k)
			continue; /* weighed already */
		uint64_t n = stf__is_dynamic(t) && t->size >= tl->size ? t->size / tl->size : 1;
		if (weigh_pointers(c, vd, T(su, st)->hash, tl, t->bytes, n, NULL, NULL, 0) < 0)
			return -1;
	}
	return 0;
}

/* No object reached: a struct of the program holding a U at offset v
 * that changed makes the number unknown. */
static int unreached(struct offsets *c, const struct verdict *vd, uint64_t owner,
		     const char *on)
{
	struct stf_xfer *x = c->x;
	for (size_t q = 0; q < c->nuse; q++) {
		if (c->use[q].owner != owner || strcmp(c->use[q].member, vd->member) ||
		    !c->use[q].used || vd->v < 0)
			continue;
		for (size_t k = 0; k < x->src->meta->nunits; k++) {
			const struct stf_meta_unit *u = &x->src->meta->units[k];
			for (uint32_t t = 0; t < u->ntypes; t++) {
				char tn[256];
				if (T(u, t)->kind != STF_K_STRUCT || !T(u, t)->name ||
				    T(u, t)->hash == c->use[q].used ||
				    !stf__hash_at(u, t, (uint64_t)vd->v, c->use[q].used, 0) ||
				    !stf__struct_changed(u, t, x->dst->meta, tn, sizeof(tn)))
					continue;
				stf__xfail(x, "%s: member %s holds %" PRId64 ", an offset the code "
				      "adds to or subtracts from pointers; no element is reached "
				      "through the object's pointers to say which type it is an "
				      "offset in, and %s (with a struct at that offset) changes: "
				      "register a callback for the object (stf_on_object) that sets it",
				      on, vd->member, vd->v, tn);
				return -1;
			}
		}
	}
	return 0;
}

/* The value of integer member r (width w) at p. */
static int64_t int_value(const struct stf_meta_unit *u, const struct stf_member_rec *r,
			 const uint8_t *p, unsigned w)
{
	uint64_t v = 0;
	memcpy(&v, p, w); /* little-endian */
	if (w < 8 && T(u, strip(u, r->type))->flags & STF_TF_SIGNED && v >> (8 * w - 1))
		v |= ~0ull << (8 * w);
	return (int64_t)v;
}

/* The type of an object, for messages. */
static const char *type_of(const struct stf_obj *o, char *buf, size_t len)
{
	return stf__type_str(o->unit, strip(o->unit, o->type), buf, len);
}

/* A member of a static that still holds its initializer (offsetof, a
 * constant of the build) gets the other version's initializer, both
 * ways: 1 with vd->nv set, else 0. */
static int initial_value(const struct offsets *c, const struct stf_meta_unit *su,
			 const struct stf_member_rec *sm, const uint8_t *s, unsigned sw,
			 const struct stf_meta_unit *du, const struct stf_member_rec *dm,
			 const uint8_t *d, unsigned dw, struct verdict *vd)
{
	uint8_t si[8], di[8];
	if (c->o->kind != STF_OBJ_STATIC ||
	    stf__peer_initial_bytes(c->x->src, c->o->addr + (uint64_t)(s - c->o->bytes), si, sw) < 0 ||
	    stf__peer_initial_bytes(c->x->dst, c->dobj->addr + (uint64_t)(d - c->dimg), di, dw) < 0 ||
	    int_value(su, sm, si, sw) != vd->v)
		return 0;
	vd->nv = int_value(du, dm, di, dw);
	vd->found = 1;
	return 1;
}

/* Member name of struct instance s (source su/st, destination du/dt at d). */
static int fix_member(struct offsets *c, const struct stf_obj *o, const char *name,
		      const struct stf_meta_unit *su, uint32_t st, const uint8_t *s,
		      const struct stf_meta_unit *du, uint32_t dt, uint8_t *d)
{
	struct stf_xfer *x = c->x;
	uint64_t sabs, dabs;
	const struct stf_member_rec *sm = stf__member_named(su, st, name, &sabs);
	const struct stf_member_rec *dm = sm ?
		stf__member_named(du, dt, stf__member_dst_name(x, su, st, name), &dabs) : NULL;
	unsigned sw = sm ? int_width(su, sm) : 0, dw = dm ? int_width(du, dm) : 0;
	if (!sw || !dw)
		return 0;
	struct verdict vd = { .member = name };
	vd.v = int_value(su, sm, s + sabs, sw);
	if (weigh_instance(c, &vd, su, st, s) < 0)
		return -1;
	char on[256], a[256], b[256];
	stf__obj_name(o, on, sizeof(on));
	if (vd.other) {
		stf__xfail(x, "%s: member %s holds %" PRId64 ", an offset the code adds to or "
		      "subtracts from pointers, and the elements reached through the object's "
		      "pointers disagree on its new value (%" PRId64 " in %s, %" PRId64 " in %s): "
		      "keep one element type per table, or register a callback for the object "
		      "(stf_on_object) that sets it", on, name, vd.v, vd.nv,
		      type_of(vd.elem, a, sizeof(a)), vd.other_nv, type_of(vd.other, b, sizeof(b)));
		return -1;
	}
	if (!vd.found && vd.miss) {
		stf__xfail(x, "%s: member %s holds %" PRId64 ", an offset the code adds to or "
		      "subtracts from pointers, but it starts no struct in %s, which the "
		      "object's pointers reach: the offset cannot be converted; register a "
		      "callback for the object (stf_on_object) that sets it", on, name, vd.v,
		      type_of(vd.miss, a, sizeof(a)));
		return -1;
	}
	if (!vd.found && !initial_value(c, su, sm, s + sabs, sw, du, dm, d + dabs, dw, &vd))
		return unreached(c, &vd, T(su, st)->hash, on);
	if (vd.nv == vd.v)
		return 0;
	if (dw < 8 && (vd.nv < 0 || (uint64_t)vd.nv >> (8 * dw - 1))) {
		stf__xfail(x, "%s: member %s cannot hold the new offset %" PRId64, on, name, vd.nv);
		return -1;
	}
	memcpy(d + dabs, &vd.nv, dw); /* little-endian */
	return 0;
}

/* Each offset member of each struct holding one inside a value of type
 * su/st at s, whose counterpart du/dt is at d. */
static int walk(struct offsets *c, const struct stf_obj *o, const struct stf_meta_unit *su,
		uint32_t st, const uint8_t *s, const struct stf_meta_unit *du, uint32_t dt,
		uint8_t *d, int depth)
{
	st = strip(su, st);
	dt = strip(du, dt);
	if (st >= su->ntypes || dt >= du->ntypes || depth > 32 || !holds_owner(c, su, st, 0))
		return 0;
	const struct stf_type_rec *S = T(su, st), *D = T(du, dt);
	if (S->kind == STF_K_ARRAY && D->kind == STF_K_ARRAY) {
		uint32_t se = strip(su, S->target), de = strip(du, D->target);
		uint64_t ssz = se < su->ntypes ? T(su, se)->size : 0;
		uint64_t dsz = de < du->ntypes ? T(du, de)->size : 0;
		uint64_t n = S->count < D->count ? S->count : D->count;
		for (uint64_t e = 0; ssz && dsz && e < n; e++)
			if (walk(c, o, su, se, s + e * ssz, du, de, d + e * dsz, depth + 1) < 0)
				return -1;
		return 0;
	}
	if (S->kind != STF_K_STRUCT || D->kind != STF_K_STRUCT)
		return 0;
	if (is_owner(c, S->hash) && !stf__all_zero(s, S->size)) {
		/* each member once */
		for (size_t k = 0; k < c->nuse; k++) {
			size_t q = 0;
			while (q < k && (c->use[q].owner != S->hash ||
					 strcmp(c->use[q].member, c->use[k].member)))
				q++;
			if (c->use[k].owner == S->hash && q == k &&
			    fix_member(c, o, c->use[k].member, su, st, s, du, dt, d) < 0)
				return -1;
		}
	}
	for (uint32_t i = 0; i < S->nmembers; i++) {
		const struct stf_member_rec *m = &su->members[S->members + i];
		const char *name = stf_meta_str(su, m->name);
		uint64_t dabs;
		const struct stf_member_rec *dm;
		if (m->bit_size || !*name || !holds_owner(c, su, m->type, depth + 1) ||
		    !(dm = stf__member_named(du, dt, stf__member_dst_name(c->x, su, st, name), &dabs)))
			continue;
		if (walk(c, o, su, m->type, s + m->offset, du, dm->type, d + dabs, depth + 1) < 0)
			return -1;
	}
	return 0;
}

/* The offset members' records of the source's code. */
static int collect_uses(struct offsets *c)
{
	const struct stf_meta *m = c->x->src->meta;
	size_t n = 0;
	for (size_t k = 0; k < m->nunits; k++)
		for (uint32_t i = 0; i < m->units[k].nuses; i++)
			n += (m->units[k].uses[i].flags & STF_USE_OFFSET) != 0;
	if (!n)
		return 0;
	c->use = stf__arena_alloc(c->x->arena, n * sizeof(*c->use));
	c->holds = stf__arena_alloc(c->x->arena, m->nunits * sizeof(*c->holds));
	if (!c->use || !c->holds)
		return -1;
	for (size_t k = 0; k < m->nunits; k++) {
		const struct stf_meta_unit *u = &m->units[k];
		c->holds[k] = stf__arena_alloc(c->x->arena, u->ntypes + 1);
		if (!c->holds[k])
			return -1;
		for (uint32_t i = 0; i < u->nuses; i++) {
			const struct stf_use_rec *r = &u->uses[i];
			if (!(r->flags & STF_USE_OFFSET) || r->type >= u->ntypes)
				continue;
			struct offset_use ou = {
				.owner = T(u, strip(u, r->type))->hash,
				.member = stf_meta_str(u, r->member),
				.used = r->used < u->ntypes ? T(u, strip(u, r->used))->hash : 0,
				.sub = (r->flags & STF_USE_OFFSET_SUB) != 0,
			};
			size_t q = 0;
			while (q < c->nuse && (c->use[q].owner != ou.owner || c->use[q].used != ou.used ||
					       c->use[q].sub != ou.sub ||
					       strcmp(c->use[q].member, ou.member)))
				q++;
			if (q == c->nuse)
				c->use[c->nuse++] = ou;
		}
	}
	return 0;
}

int stf__fix_offsets(struct stf_xfer *x)
{
	struct offsets c = { .x = x };
	if (collect_uses(&c) < 0) {
		stf__xfail(x, "out of memory");
		return -1;
	}
	if (!c.nuse)
		return 0;
	stf__profile_mark("transfer done");
	struct stf_peer *p = x->src;
	for (size_t i = 0; i < p->nobjs; i++) {
		const struct stf_obj *o = &p->objs[i];
		int64_t j = x->pair[i].dst;
		if (!x->pair[i].scheduled || !o->unit || !o->bytes || j < 0 || !x->img[j] ||
		    !x->dst->objs[j].unit || !holds_owner(&c, o->unit, o->type, 0))
			continue;
		const struct stf_obj *d = &x->dst->objs[j];
		c.o = o;
		c.dobj = d;
		c.dimg = x->img[j];
		uint32_t st = strip(o->unit, o->type), dt = strip(d->unit, d->type);
		uint64_t ssz = T(o->unit, st)->size, dsz = T(d->unit, dt)->size;
		uint64_t n = stf__is_dynamic(o) && ssz && o->size >= ssz ? o->size / ssz : 1;
		for (uint64_t e = 0; e < n; e++)
			if (walk(&c, o, o->unit, st, o->bytes + e * ssz, d->unit, dt,
				 x->img[j] + e * dsz, 0) < 0)
				return -1;
	}
	stf__profile_mark("offset members");
	return 0;
}
