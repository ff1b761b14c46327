/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * offsets.c - where an offset into a source object lands in its
 * destination counterpart: the same (member path, element, byte) in the
 * new layout, members followed by name (renames included).  Also the
 * rules for offsets no member holds on its own: one past the end of a
 * member, an element or an object (which is also the start of the next:
 * the pointer's type says which it points to), padding, and a char
 * pointer at the start of a struct (the whole or its first member).
 * Split from relocate.c, which finds the object a pointer targets.
 */
#include <inttypes.h>
#include <string.h>

#include "engine.h"
#include "slots.h"

int stf__is_flexible(const struct stf_meta_unit *u, uint32_t t)
{
	t = strip(u, t);
	return t < u->ntypes && T(u, t)->kind == STF_K_ARRAY &&
	       (T(u, t)->flags & STF_TF_FLEXIBLE || !T(u, t)->count);
}

/* Innermost named member of struct st containing off (anonymous members
 * are descended into); its absolute offset in *abs. */
static const struct stf_member_rec *member_at(const struct stf_meta_unit *u, uint32_t st,
					      uint64_t off, uint64_t *abs)
{
	const struct stf_type_rec *t = T(u, st);
	for (uint32_t i = 0; i < t->nmembers; i++) {
		const struct stf_member_rec *m = &u->members[t->members + i];
		uint32_t mt = strip(u, m->type);
		uint64_t msz;
		if (mt >= u->ntypes || m->bit_size)
			continue;
		msz = T(u, mt)->size;
		if ((uint64_t)m->offset > off)
			continue;
		if (off - m->offset >= msz && !stf__is_flexible(u, mt))
			continue;
		if (!*stf_meta_str(u, m->name) &&
		    (T(u, mt)->kind == STF_K_STRUCT || T(u, mt)->kind == STF_K_UNION)) {
			uint64_t inner;
			const struct stf_member_rec *r = member_at(u, mt, off - m->offset, &inner);
			if (r) {
				*abs = m->offset + inner;
				return r;
			}
			continue;
		}
		*abs = m->offset;
		return m;
	}
	return NULL;
}

/* Member named name in struct/union st, anonymous members descended. */
const struct stf_member_rec *stf__member_named(const struct stf_meta_unit *u, uint32_t st,
						 const char *name, uint64_t *abs)
{
	const struct stf_type_rec *t = T(u, st);
	for (uint32_t i = 0; i < t->nmembers; i++) {
		const struct stf_member_rec *m = &u->members[t->members + i];
		const char *mn = stf_meta_str(u, m->name);
		if (*mn) {
			if (!strcmp(mn, name)) {
				*abs = m->offset;
				return m;
			}
			continue;
		}
		uint32_t mt = strip(u, m->type);
		if (mt < u->ntypes &&
		    (T(u, mt)->kind == STF_K_STRUCT || T(u, mt)->kind == STF_K_UNION)) {
			uint64_t inner;
			const struct stf_member_rec *r = stf__member_named(u, mt, name, &inner);
			if (r) {
				*abs = m->offset + inner;
				return r;
			}
		}
	}
	return NULL;
}

/* Destination name of a source member (renames). */
const char *stf__member_dst_name(struct stf_xfer *x, const struct stf_meta_unit *su,
				   uint32_t st, const char *name)
{
	char tn[256];
	if (!x->renames)
		return name;
	return stf__rename_member(stf__type_str(su, st, tn, sizeof(tn)), name, x->dir);
}

/* Source member that becomes destination member dname. */
const struct stf_member_rec *stf__src_member_for(struct stf_xfer *x,
						   const struct stf_meta_unit *su, uint32_t st,
						   const char *dname, uint64_t *abs)
{
	const struct stf_type_rec *t = T(su, st);
	if (!x->renames)
		return stf__member_named(su, st, dname, abs);
	for (uint32_t i = 0; i < t->nmembers; i++) {
		const struct stf_member_rec *m = &su->members[t->members + i];
		const char *mn = stf_meta_str(su, m->name);
		if (*mn) {
			if (!strcmp(stf__member_dst_name(x, su, st, mn), dname)) {
				*abs = m->offset;
				return m;
			}
			continue;
		}
		uint32_t mt = strip(su, m->type);
		if (mt < su->ntypes &&
		    (T(su, mt)->kind == STF_K_STRUCT || T(su, mt)->kind == STF_K_UNION)) {
			uint64_t inner;
			const struct stf_member_rec *r = stf__src_member_for(x, su, mt, dname, &inner);
			if (r) {
				*abs = m->offset + inner;
				return r;
			}
		}
	}
	return NULL;
}

/* Does a value of type (u, t) start with a char (its first member's first
 * element...)?  A char pointer there points to that char (the name
 * member first in its struct), not to the whole value as bytes. */
static int starts_with_char(const struct stf_meta_unit *u, uint32_t t, int depth)
{
	t = strip(u, t);
	if (t >= u->ntypes || depth > 64)
		return 0;
	const struct stf_type_rec *R = T(u, t);
	if (R->kind == STF_K_INT)
		return (R->flags & STF_TF_CHAR) != 0;
	if (R->kind == STF_K_ARRAY)
		return starts_with_char(u, R->target, depth + 1);
	if (R->kind != STF_K_STRUCT || !R->nmembers)
		return 0;
	const struct stf_member_rec *m = &u->members[R->members];
	return !m->offset && !m->bit_size && *stf_meta_str(u, m->name) &&
	       starts_with_char(u, m->type, depth + 1);
}

/* The type a pointer of pointee type p points to, stripped of typedefs;
 * NULL where the pointer has no known pointee type.  `struct hash *`
 * declared where struct hash is incomplete: its definition is in another
 * unit of the source. */
static const struct stf_type_rec *pointee_rec(struct stf_xfer *x, const struct pointee *p)
{
	if (!p || !p->unit)
		return NULL;
	const struct stf_meta_unit *pu = p->unit;
	uint32_t pt = p->type;
	stf__complete_type(x->src->meta, &pu, &pt);
	pt = strip(pu, pt);
	return pt < pu->ntypes ? T(pu, pt) : NULL;
}

/* Does a pointer of this pointee type, pointing at offset 0 of a value of
 * type (u, t), point to the value itself (rather than to its first member)?
 * Generic pointers (void, char, unknown) point to the outermost value. */
static int points_to_whole(struct stf_xfer *x, const struct pointee *p,
			   const struct stf_meta_unit *u, uint32_t t)
{
	const struct stf_type_rec *P = pointee_rec(x, p);
	if (!P)
		return 1;
	if (P->kind == STF_K_INT && (P->flags & STF_TF_CHAR))
		return !starts_with_char(u, t, 0); /* char *name = s->name */
	if (P->kind == STF_K_VOID || P->kind == STF_K_FUNCTION)
		return 1;
	return P->hash == T(u, t)->hash;
}

/* Where the member at offset 0 of (su, st) (its first member's first
 * member..., element 0 of arrays) lands in (du, dt); 0 when it stays at
 * the start or has no counterpart (then only the whole value is left). */
static uint64_t first_member_lands(struct stf_xfer *x, const struct stf_meta_unit *su,
				   uint32_t st, const struct stf_meta_unit *du, uint32_t dt,
				   int depth)
{
	uint64_t sabs, dabs;
	st = strip(su, st);
	dt = strip(du, dt);
	if (st >= su->ntypes || dt >= du->ntypes || depth > 64)
		return 0;
	const struct stf_type_rec *S = T(su, st), *D = T(du, dt);
	if (S->hash == D->hash && S->size == D->size)
		return 0;
	if (S->kind == STF_K_ARRAY && D->kind == STF_K_ARRAY)
		return first_member_lands(x, su, S->target, du, D->target, depth + 1);
	if (S->kind != STF_K_STRUCT || D->kind != STF_K_STRUCT)
		return 0;
	const struct stf_member_rec *m = member_at(su, st, 0, &sabs), *dm;
	if (!m || sabs)
		return 0;
	dm = stf__member_named(du, dt, stf__member_dst_name(x, su, st, stf_meta_str(su, m->name)), &dabs);
	if (!dm)
		return 0;
	return dabs + first_member_lands(x, su, m->type, du, dm->type, depth + 1);
}

/* One past the end of an object (or member) is also the start of the
 * next one when the two are adjacent (statics of one section, members of
 * a struct).  A pointer whose type says which of the two it points to
 * goes there: does a value of type hash start at off 0 of (u, t) (the
 * type, its first member, element...), or end at its end (its last
 * element, last member...)? */
static int type_starts(const struct stf_meta_unit *u, uint32_t t, uint64_t hash, int depth)
{
	t = strip(u, t);
	if (t >= u->ntypes || depth > 64)
		return 0;
	const struct stf_type_rec *R = T(u, t);
	if (R->hash == hash)
		return 1;
	if (R->kind == STF_K_ARRAY)
		return type_starts(u, R->target, hash, depth + 1);
	if (R->kind != STF_K_STRUCT && R->kind != STF_K_UNION)
		return 0;
	for (uint32_t i = 0; i < R->nmembers; i++) {
		const struct stf_member_rec *m = &u->members[R->members + i];
		if (!m->offset && !m->bit_size && type_starts(u, m->type, hash, depth + 1))
			return 1;
	}
	return 0;
}

static int type_ends(const struct stf_meta_unit *u, uint32_t t, uint64_t hash, int depth)
{
	t = strip(u, t);
	if (t >= u->ntypes || depth > 64)
		return 0;
	const struct stf_type_rec *R = T(u, t);
	if (R->hash == hash)
		return 1;
	if (R->kind == STF_K_ARRAY)
		return R->count && type_ends(u, R->target, hash, depth + 1);
	if (R->kind != STF_K_STRUCT || !R->nmembers)
		return 0;
	const struct stf_member_rec *m = &u->members[R->members + R->nmembers - 1];
	uint32_t mt = strip(u, m->type);
	return !m->bit_size && mt < u->ntypes && m->offset + T(u, mt)->size == R->size &&
	       type_ends(u, mt, hash, depth + 1);
}

/* The structural hash of what a pointer points to; 0 for void and
 * function pointers and unknown types, which say nothing. */
static uint64_t pointee_hash_char(struct stf_xfer *x, const struct pointee *pe, int *is_char)
{
	const struct stf_type_rec *P = pointee_rec(x, pe);
	*is_char = 0;
	if (!P || P->kind == STF_K_VOID || P->kind == STF_K_FUNCTION || !P->size)
		return 0;
	*is_char = P->kind == STF_K_INT && (P->flags & STF_TF_CHAR);
	return P->hash;
}

static uint64_t pointee_hash(struct stf_xfer *x, const struct pointee *pe)
{
	int is_char;
	return pointee_hash_char(x, pe, &is_char);
}

/* The named member of struct st that ends at off with a value of type
 * hash (char *end = s->buf + sizeof(s->buf)); its offset in *abs. */
static const struct stf_member_rec *member_ending_at(const struct stf_meta_unit *u, uint32_t st,
						     uint64_t off, uint64_t hash, uint64_t *abs)
{
	const struct stf_type_rec *t = T(u, st);
	for (uint32_t i = 0; i < t->nmembers; i++) {
		const struct stf_member_rec *m = &u->members[t->members + i];
		uint32_t mt = strip(u, m->type);
		if (m->bit_size || mt >= u->ntypes || !*stf_meta_str(u, m->name) ||
		    (uint64_t)m->offset + T(u, mt)->size != off || !T(u, mt)->size)
			continue;
		if (type_ends(u, mt, hash, 0)) {
			*abs = m->offset;
			return m;
		}
	}
	return NULL;
}

/* At the boundary of elements e-1 and e of an array of (u, et): one past
 * the end of element e-1 rather than the start of e, by the pointer's
 * type (short *end = a[1].vals + 4, vals last in the struct)?  Char
 * pointers there are byte cursors over the array ((char *)&a[n]). */
static void end_of_element(struct stf_xfer *x, const struct pointee *pe,
			   const struct stf_meta_unit *u, uint32_t et, uint64_t esz,
			   uint64_t *e, uint64_t *r)
{
	uint64_t h;
	int is_char;
	if (*r || !*e || !(h = pointee_hash_char(x, pe, &is_char)) || is_char ||
	    type_starts(u, et, h, 0) ||
	    !type_ends(u, et, h, 0) || strip(u, et) >= u->ntypes || T(u, strip(u, et))->hash == h)
		return;
	(*e)--;
	*r = esz;
}

/* Member path + offset for an offset no member holds (padding after a
 * member, the byte past it: a stale pointer in raw memory): the named
 * member starting last at or before off, at *abs. */
static const struct stf_member_rec *member_before(const struct stf_meta_unit *u, uint32_t st,
						  uint64_t off, uint64_t *abs)
{
	const struct stf_type_rec *t = T(u, st);
	const struct stf_member_rec *best = NULL;
	for (uint32_t i = 0; i < t->nmembers; i++) {
		const struct stf_member_rec *m = &u->members[t->members + i];
		if (m->bit_size || strip(u, m->type) >= u->ntypes || !*stf_meta_str(u, m->name) ||
		    (uint64_t)m->offset > off || (best && m->offset < best->offset))
			continue;
		best = m;
	}
	if (best)
		*abs = best->offset;
	return best;
}

/* Where the member after the one at abs starts in struct st (its size if
 * none). */
static uint64_t next_member_start(const struct stf_meta_unit *u, uint32_t st, uint64_t abs)
{
	const struct stf_type_rec *t = T(u, st);
	uint64_t next = t->size;
	for (uint32_t i = 0; i < t->nmembers; i++) {
		const struct stf_member_rec *m = &u->members[t->members + i];
		if ((uint64_t)m->offset > abs && (uint64_t)m->offset < next)
			next = m->offset;
	}
	return next;
}

/* An offset past the end of member m of (su, st) and before the next one
 * (padding, one past the member) mapped to the same distance from the
 * start of its counterpart, when that lands past the counterpart's end
 * and before the member after it: the reverse mapping then finds the
 * same member and distance, so the round trip gives the same bytes.  0
 * with *doff, or 1 when it cannot be mapped so. */
static int map_past_member(struct stf_xfer *x, const struct stf_meta_unit *su, uint32_t st,
			   const struct stf_meta_unit *du, uint32_t dt, uint64_t off,
			   uint64_t *doff)
{
	uint64_t sabs, dabs;
	const struct stf_member_rec *m = member_before(su, st, off, &sabs);
	if (!m)
		return 1;
	const char *name = stf_meta_str(su, m->name);
	const struct stf_member_rec *dm =
		stf__member_named(du, dt, stf__member_dst_name(x, su, st, name), &dabs);
	uint64_t r = off - sabs;
	if (!dm || strip(du, dm->type) >= du->ntypes || r < T(du, strip(du, dm->type))->size ||
	    dabs + r >= next_member_start(du, dt, dabs))
		return 1;
	*doff = dabs + r;
	return 0;
}

static int map_type_off(struct stf_xfer *x, const struct stf_meta_unit *su, uint32_t st,
			const struct stf_meta_unit *du, uint32_t dt, uint64_t off,
			uint64_t *doff, const struct pointee *pe, int depth)
{
	st = strip(su, st);
	dt = strip(du, dt);
	if (st >= su->ntypes || dt >= du->ntypes || depth > 64) {
		*doff = off;
		return 0;
	}
	const struct stf_type_rec *S = T(su, st), *D = T(du, dt);
	if (S->hash == D->hash && S->size == D->size) {
		*doff = off;
		return 0;
	}
	if (!off && points_to_whole(x, pe, su, st)) {
		/* A char pointer at the start of a struct points to the whole
		 * struct as bytes ((char *)&hdr) or to its first member
		 * ((char *)&rec->code).  Where that member moves, the two
		 * differ, and a wrong guess made forward is undone backward
		 * alike: the round trip cannot catch it.  Forward, refuse;
		 * backward, such a pointer can only come from one into that
		 * member (a pointer to the whole needed the member to stay). */
		int is_char;
		uint64_t lands;
		pointee_hash_char(x, pe, &is_char);
		if (!is_char || (S->kind != STF_K_STRUCT && S->kind != STF_K_ARRAY) ||
		    !(lands = first_member_lands(x, su, st, du, dt, depth))) {
			*doff = 0;
			return 0;
		}
		if (x->dir == STF_FORWARD) {
			char tn[256];
			stf__xfail(x, "%s: char pointer to the start of %s, whose first member "
			      "moves to offset %" PRIu64 ": it may point to the whole or to that "
			      "member; register a callback for the object holding it "
			      "(stf_on_object)", stf__cur_path(x), stf__type_str(su, st, tn, sizeof(tn)),
			      lands);
			return -1;
		}
	}
	switch (S->kind) {
	case STF_K_ARRAY: {
		if (D->kind != STF_K_ARRAY)
			break;
		uint32_t se = strip(su, S->target), de = strip(du, D->target);
		uint64_t esz = se < su->ntypes ? T(su, se)->size : 0;
		uint64_t desz = de < du->ntypes ? T(du, de)->size : 0;
		if (!esz) {
			*doff = off;
			return 0;
		}
		uint64_t e = off / esz, r = off % esz, dr;
		end_of_element(x, pe, su, se, esz, &e, &r);
		if (D->count && (e > D->count || (e == D->count && r))) {
			stf__xfail(x, "%s: pointer into element [%" PRIu64 "], which no longer "
			      "exists (array shrunk to %" PRIu64 " elements)", stf__cur_path(x), e,
			      D->count);
			return -1;
		}
		if (map_type_off(x, su, se, du, de, r, &dr, pe, depth + 1) < 0)
			return -1;
		*doff = e * desz + dr;
		return 0;
	}
	case STF_K_STRUCT: {
		uint64_t sabs, dabs, dr;
		if (D->kind != STF_K_STRUCT)
			break;
		const struct stf_member_rec *m = member_at(su, st, off, &sabs);
		/* one past an array member: char pointers only where another
		 * member starts (not at the struct's end: (char *)(&s + 1)) */
		uint64_t h, eabs;
		int is_char;
		const struct stf_member_rec *em;
		if ((!m || sabs == off) && off && (h = pointee_hash_char(x, pe, &is_char)) &&
		    (m || !is_char) && (em = member_ending_at(su, st, off, h, &eabs)) &&
		    (!m || !type_starts(su, m->type, h, 0))) {
			/* one past the end of the member before */
			m = em;
			sabs = eabs;
		}
		if (!m) {
			if (off == S->size) {
				*doff = D->size;
				return 0;
			}
			if (!map_past_member(x, su, st, du, dt, off, doff))
				return 0;
			stf__xfail(x, "%s: pointer into padding at offset %" PRIu64 " of %s",
			      stf__cur_path(x), off, stf_meta_str(su, S->name));
			return -1;
		}
		const char *name = stf_meta_str(su, m->name);
		const struct stf_member_rec *dm =
			stf__member_named(du, dt, stf__member_dst_name(x, su, st, name), &dabs);
		if (!dm) {
			char tn[256];
			stf__xfail(x, "%s: pointer into member %s of %s, which no longer exists",
			      stf__cur_path(x), name, stf__type_str(su, st, tn, sizeof(tn)));
			return -1;
		}
		if (map_type_off(x, su, m->type, du, dm->type, off - sabs, &dr, pe, depth + 1) < 0)
			return -1;
		*doff = dabs + dr;
		return 0;
	}
	case STF_K_UNION:
		if (D->kind != STF_K_UNION || off > D->size)
			break;
		*doff = off;
		return 0;
	default:
		/* a byte inside a number or pointer whose width changed: the
		 * same byte (of the low-order ones), inside both */
		if (!off || S->size == D->size || (off < S->size && off < D->size)) {
			*doff = off;
			return 0;
		}
		break;
	}
	{
		char a[256], b[256];
		stf__xfail(x, "%s: pointer to offset %" PRIu64 " of a %s cannot be mapped into "
		      "the new type %s", stf__cur_path(x), off, stf__type_str(su, st, a, sizeof(a)),
		      stf__type_str(du, dt, b, sizeof(b)));
	}
	return -1;
}

int stf__map_obj_off(struct stf_xfer *x, const struct stf_obj *so,
		     const struct stf_obj *dobj, uint64_t off, uint64_t *doff,
		     const struct pointee *pe)
{
	if (!so->unit || !dobj->unit || so->type >= so->unit->ntypes) {
		*doff = off;
		return 0;
	}
	uint32_t st = strip(so->unit, so->type), dt = strip(dobj->unit, dobj->type);
	const struct stf_type_rec *S = T(so->unit, st);
	uint64_t esz = S->size;
	const struct stf_member_rec *last = S->kind == STF_K_STRUCT && S->nmembers ?
		&so->unit->members[S->members + S->nmembers - 1] : NULL;
	if (!esz || (last && stf__is_flexible(so->unit, last->type)) ||
	    so->kind == STF_OBJ_STATIC || so->kind == STF_OBJ_LOCAL || so->kind == STF_OBJ_CONST) {
		if (stf__tag_on_start(so->unit, st, off))
			return *doff = off, 0;
		if (map_type_off(x, so->unit, st, dobj->unit, dt, off, doff, pe, 0) < 0)
			return -1;
		return stf__tag_ambiguous(x, so, off, *doff, pe);
	}
	uint64_t e = off / esz, r = off % esz, dr;
	end_of_element(x, pe, so->unit, st, esz, &e, &r);
	if (stf__tag_on_start(so->unit, st, r))
		dr = r;
	else if (map_type_off(x, so->unit, st, dobj->unit, dt, r, &dr, pe, 0) < 0 ||
		 stf__tag_ambiguous(x, so, r, dr, pe) < 0)
		return -1;
	*doff = e * T(dobj->unit, dt)->size + dr;
	return 0;
}

/* v is the start of range r: is it rather one past the end of the range
 * before it, by the pointer's type (char *end = buf + sizeof(buf) when
 * the next object does not start with a char)?  void pointers keep the
 * start. */
int stf__end_of_previous(struct stf_xfer *x, const struct stf_range *r,
			 const struct pointee *pe)
{
	const struct stf_range *lo = x->src->index.ranges;
	uint64_t h;
	if (!pe || !pe->unit || r == lo || r[-1].start + r[-1].size != r->start ||
	    !(h = pointee_hash(x, pe)))
		return 0;
	const struct stf_obj *prev = &x->src->objs[r[-1].value];
	const struct stf_obj *next = &x->src->objs[r->value];
	return prev->unit && type_ends(prev->unit, prev->type, h, 0) &&
	       !(next->unit && type_starts(next->unit, next->type, h, 0)) &&
	       !stf__slab_object(x->src, prev); /* the next slot (slots.h) */
}
