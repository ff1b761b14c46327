/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * relocate.c - pointer relocation: where a source pointer lands in the
 * destination.  Offsets are mapped to the same (member path, element,
 * byte) in the new layout; targets are found by pairing (objects), by
 * name (functions, library symbols), by content (string literals) or in
 * the command line and environment; the invariants on a pointer's target
 * (it exists, it has the pointed-to type) are checked here.
 */
#include <inttypes.h>
#include <string.h>

#include "alloc.h"
#include "callbacks.h"
#include "engine.h"
#include "epoll.h"
#include "fault.h"
#include "remote.h"
#include "slots.h"
#include "stf.h"
#include "tree.h"
#include "xfer.h"

/* ------------------------------------------------------------------ */
/* Offsets: the same (member path, element, byte) in the new layout.   */

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

/* Does a pointer of this pointee type, pointing at offset 0 of a value of
 * type (u, t), point to the value itself (rather than to its first member)?
 * Generic pointers (void, char, unknown) point to the outermost value. */
static int points_to_whole(struct stf_xfer *x, const struct pointee *p,
			   const struct stf_meta_unit *u, uint32_t t)
{
	if (!p || !p->unit)
		return 1;
	/* `struct hash *` declared where struct hash is incomplete: its
	 * definition is in another unit of the source */
	const struct stf_meta_unit *pu = p->unit;
	uint32_t pt = p->type;
	stf__complete_type(x->src->meta, &pu, &pt);
	pt = strip(pu, pt);
	if (pt >= pu->ntypes)
		return 1;
	const struct stf_type_rec *P = T(pu, pt);
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
	*is_char = 0;
	if (!pe || !pe->unit)
		return 0;
	const struct stf_meta_unit *pu = pe->unit;
	uint32_t pt = pe->type;
	stf__complete_type(x->src->meta, &pu, &pt);
	pt = strip(pu, pt);
	if (pt >= pu->ntypes)
		return 0;
	const struct stf_type_rec *P = T(pu, pt);
	if (P->kind == STF_K_VOID || P->kind == STF_K_FUNCTION || !P->size)
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

static int map_obj_off(struct stf_xfer *x, const struct stf_obj *so,
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
		return map_type_off(x, so->unit, st, dobj->unit, dt, off, doff, pe, 0);
	}
	uint64_t e = off / esz, r = off % esz, dr;
	end_of_element(x, pe, so->unit, st, esz, &e, &r);
	if (stf__tag_on_start(so->unit, st, r))
		dr = r;
	else if (map_type_off(x, so->unit, st, dobj->unit, dt, r, &dr, pe, 0) < 0)
		return -1;
	*doff = e * T(dobj->unit, dt)->size + dr;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Pointers.                                                           */

const char *stf__obj_name(const struct stf_obj *o, char *buf, size_t len)
{
	if (o->dyn_id)
		snprintf(buf, len, "%s@%" PRIu64, o->id, o->dyn_id);
	else
		snprintf(buf, len, "%s", o->id);
	return buf;
}


int stf__pair_by_id(struct stf_xfer *x, size_t i)
{
	struct pairing *p = &x->pair[i];
	const struct stf_obj *o = &x->src->objs[i];
	const char *id = o->id;
	uint64_t j;

	if (p->dst != PAIR_UNRESOLVED || (o->flags & STF_OBJF_STREAM) ||
	    (o->kind != STF_OBJ_CONST && o->kind != STF_OBJ_FUNC &&
	     o->kind != STF_OBJ_STRING && o->kind != STF_OBJ_STATIC))
		return 0;
	if (x->renames)
		id = stf__rename(STF_RENAME_OBJECT, id, x->dir);
	if (stf__strmap_get(&x->dst_ids, id, &j))
		return 0;
	const struct stf_obj *d = &x->dst->objs[j];
	p->dst = (int64_t)j;
	p->dst_addr = d->addr;
	p->same = !o->unit || !d->unit ||
		  (T(o->unit, strip(o->unit, o->type))->hash == T(d->unit, strip(d->unit, d->type))->hash);
	return 1;
}

static int64_t pair_target(struct stf_xfer *x, size_t i)
{
	struct pairing *p = &x->pair[i];
	const struct stf_obj *o = &x->src->objs[i];
	char on[256];

	if (p->dst >= 0)
		return p->dst;
	if (x->in_part)
		return stf__part_defer(x);
	if (p->dst == PAIR_UNRESOLVED && (o->flags & STF_OBJF_STREAM))
		return stf__stream_target(x, i);
	if (p->dst == PAIR_UNRESOLVED) {
		if (stf__pair_by_id(x, i))
			return p->dst;
		p->dst = PAIR_NONE;
		if (o->kind == STF_OBJ_FUNC) {
			/* not address-taken in the new version: by symbol name */
			const char *name = strrchr(o->id, ':');
			uint64_t a = stf__peer_symbol_addr(x->dst, NULL, name ? name + 1 : o->id);
			if (a) {
				struct stf_obj f = *o;
				f.addr = a;
				f.unit = NULL;
				int64_t k = stf__dst_add(x, &f);
				if (k >= 0) {
					p->dst = k;
					p->dst_addr = a;
					p->same = 1;
					return k;
				}
			}
		}
	}
	switch (o->kind) {
	case STF_OBJ_FUNC:
		stf__xfail(x, "%s: points to function %s, which no longer exists in the new "
		      "version", stf__cur_path(x), o->id);
		break;
	case STF_OBJ_STRING: {
		/* name it by its text: the ID is a hash */
		char text[64], q[160];
		size_t n = o->size < sizeof(text) - 1 ? o->size : sizeof(text) - 1, k = 0;
		if (stf__xfer_src_read(x, o->addr, text, n) < 0)
			n = 0;
		text[n] = 0;
		for (size_t i = 0; i < n && text[i] && k + 5 < sizeof(q); i++)
			k += (size_t)snprintf(q + k, sizeof(q) - k,
					      text[i] == '"' || text[i] == '\\' ? "\\%c" :
					      (unsigned char)text[i] < 0x20 ? "\\x%02x" : "%c",
					      (unsigned char)text[i]);
		q[k] = 0;
		stf__xfail(x, "%s: points to string literal \"%s\"%s (%s), which no longer exists "
		      "in the new version", stf__cur_path(x), q,
		      n < o->size && o->size > 1 ? "..." : "", o->id);
		break;
	}
	default:
		if (o->flags & STF_OBJF_INTERNAL)
			stf__xfail(x, "%s: points into libstf's own memory (0x%" PRIx64 ")",
			      stf__cur_path(x), o->addr);
		else if (o->flags & STF_OBJF_OWN)
			stf__xfail(x, "%s: points to %s, which the new version allocated at "
			      "startup: the old version has no counterpart for it; "
			      "register a callback", stf__cur_path(x), stf__obj_name(o, on, sizeof(on)));
		else
			stf__xfail(x, "%s: points to %s, which has no counterpart in the "
			      "destination (dropped)", stf__cur_path(x),
			      stf__obj_name(o, on, sizeof(on)));
	}
	return -1;
}

/* What v points into in the destination, if anything: an object (the
 * destination's own heap included when it is this process), a library
 * or executable, the main stack.  1 with a name in what, else 0. */
static int dst_target(struct stf_xfer *x, uint64_t v, char *what, size_t len)
{
	const struct stf_obj *o = stf__peer_find(x->dst, v);
	const char *lib, *sym;
	uint64_t off;
	struct stf_object_info info;
	char on[256];

	if (o && v < o->addr + o->size) {
		snprintf(what, len, "%s", stf__obj_name(o, on, sizeof(on)));
		return 1;
	}
	if (x->dst->self && stf_lookup((const void *)(uintptr_t)v, &info) == 0) {
		if (info.dyn_id)
			snprintf(what, len, "%s@%" PRIu64 " (offset %zu)", info.id, info.dyn_id,
				 info.offset);
		else
			snprintf(what, len, "%s (offset %zu)", info.id, info.offset);
		return 1;
	}
	if (stf__peer_lib_symbol(x->dst, v, &lib, &sym, &off) == 0) {
		snprintf(what, len, "%s%s%s in %s", sym ? sym : "", sym ? " " : "", "memory", lib);
		return 1;
	}
	if (v >= x->dst->stack_start && v < x->dst->stack_end) {
		snprintf(what, len, "the main thread's stack");
		return 1;
	}
	return 0;
}

/* A value in a pointer slot that points nowhere in the source (no object,
 * no library, not the stack): an integer kept in a pointer, a pointer to
 * a freed block left in a dead slot, uninitialized capacity.  It keeps
 * its value, which has no meaning as a pointer; kept, it must not come to
 * point at something of the destination.  --strict refuses it. */
static int keep_nowhere(struct stf_xfer *x, uint64_t v, uint64_t *out)
{
	char what[512];

	if (x->strict) {
		stf__xfail(x, "%s: pointer 0x%" PRIx64 " points into unknown memory (no tracked "
		      "object, static or library symbol there); without --strict it is kept "
		      "as it is (a value that points nowhere); if it is not a pointer to "
		      "state, annotate it with STF_IXFER", stf__cur_path(x), v);
		return -1;
	}
	if (dst_target(x, v, what, sizeof(what))) {
		stf__xfail(x, "%s: 0x%" PRIx64 " points nowhere in the old version (a stale "
		      "pointer or an integer) but into %s in the new one: kept, it would point "
		      "at it; clear it when its target is freed, or register a callback for "
		      "the object holding it (stf_on_object)", stf__cur_path(x), v, what);
		return -1;
	}
	*out = v;
	x->rep->nowhere++;
	return 0;
}

static int reloc_symbol(struct stf_xfer *x, uint64_t v, uint64_t *out)
{
	const char *lib, *sym, *exe;
	uint64_t off, a;

	if (stf__tree_shared_kept(v)) {  /* memory of the tree, the same here */
		*out = v;
		return 0;
	}
	if (stf__peer_lib_symbol(x->src, v, &lib, &sym, &off) < 0)
		return keep_nowhere(x, v, out);
	exe = strrchr(x->src->exe, '/');
	exe = exe ? exe + 1 : x->src->exe;
	if (!sym) {
		/* no symbol: the same place of the same library (libraries do
		 * not change with the program) */
		a = strcmp(lib, exe) ? stf__peer_lib_vaddr(x->dst, lib, off) : 0;
		if (!a) {
			stf__xfail(x, "%s: pointer 0x%" PRIx64 " points into %s at 0x%" PRIx64
			      " where no symbol is known", stf__cur_path(x), v, lib, off);
			return -1;
		}
		*out = a;
		return 0;
	}
	a = stf__peer_symbol_addr(x->dst, strcmp(lib, exe) ? lib : NULL, sym);
	if (!a) {
		stf__xfail(x, "%s: points to %s in %s, which does not exist in the destination",
		      stf__cur_path(x), sym, lib);
		return -1;
	}
	*out = a + off;
	return 0;
}

static int check_target_type(struct stf_xfer *x, const struct pointee *pe,
			     const struct stf_obj *so, uint64_t off,
			     const struct stf_obj *dobj, uint64_t doff);
static int check_dst_pointee(struct stf_xfer *x, const struct pointee *pe,
			     const struct stf_obj *so, const struct stf_obj *dobj, uint64_t doff);

/* A pointer into the process's command line or environment (main's
 * stack): the same argument or variable, at the same offset, in the
 * destination, which was started with the same arguments unless the user
 * said otherwise.  1 if v is not such a pointer. */
int stf__reloc_arg(struct stf_xfer *x, uint64_t v, uint64_t *out)
{
	struct stf_arg_ref ref;
	char what[256];

	if (stf__peer_arg_ref(x->src, v, &ref) < 0)
		return 1;
	*out = stf__peer_arg_addr(x->dst, &ref);
	if (*out)
		return 0;
	stf__arg_ref_str(x->src, &ref, what, sizeof(what));
	stf__xfail(x, "%s: points to %s of the old version's %s, which the new version's "
	      "does not have%s; start the new version with the same arguments and "
	      "environment (ttst-ctl update passes the old arguments unless given "
	      "others), or register a callback", stf__cur_path(x), what,
	      ref.kind == STF_ARG_ENV || ref.kind == STF_ARG_ENVP ? "environment" :
	      "command line", ref.off ? " (or not that long)" : "");
	return -1;
}

/* v is the start of range r: is it rather one past the end of the range
 * before it, by the pointer's type (char *end = buf + sizeof(buf) when
 * the next object does not start with a char)?  void pointers keep the
 * start. */
static int end_of_previous(struct stf_xfer *x, const struct stf_range *r,
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

static int is_function(const struct stf_meta_unit *u, uint32_t t)
{
	t = strip(u, t);
	return t < u->ntypes && T(u, t)->kind == STF_K_FUNCTION;
}

int stf__reloc(struct stf_xfer *x, uint64_t v, uint64_t *out, const struct pointee *pe)
{
	const struct stf_range *r;
	int64_t j;
	uint64_t off, doff;

	if (!v) {
		*out = 0;
		return 0;
	}
	if (stf__not_a_pointer(v)) {
		*out = v;
		x->rep->integers++;
		return 0;
	}
	x->rep->pointers++;
	r = x->last;
	if (r && v - r->start >= r->size) {
		/* objects allocated one after the other point to each other */
		const struct stf_range *lo = x->src->index.ranges,
				       *hi = lo + x->src->index.n;
		if (r + 1 < hi && v - r[1].start < r[1].size)
			r++;
		else if (r > lo && v - r[-1].start < r[-1].size)
			r--;
		else
			r = NULL;
	}
	if (!r) {
		r = stf__index_find(&x->src->index, v, STF_INDEX_END);
		if (r && r->size)
			x->last = r;
	} else {
		x->last = r;
	}
	if (!r && x->in_part)
		return stf__part_defer(x); /* arguments, libraries, the tree */
	if (!r && v >= x->src->stack_start && v < x->src->stack_end) {
		int a = stf__reloc_arg(x, v, out);
		if (a <= 0)
			return a;
		if (x->keep_orig)
			return 1;
	}
	if (!r && stf__tree_shared_kept(v))
		return stf__reloc_shared(x, v, out, pe);
	if (!r)
		return reloc_symbol(x, v, out);
	if (v == r->start && end_of_previous(x, r, pe))
		r--;
	if (pe && pe->unit && x->src->objs[r->value].kind != STF_OBJ_FUNC &&
	    is_function(pe->unit, pe->type)) {
		char on[256];
		stf__xfail(x, "%s: function pointer holding 0x%" PRIx64 ", which is no function of "
		      "the old version (it points into %s); if it holds something else, "
		      "annotate it with STF_IXFER or register a callback", stf__cur_path(x), v,
		      stf__obj_name(&x->src->objs[r->value], on, sizeof(on)));
		return -1;
	}
	const struct pairing *p = &x->pair[r->value];
	off = v - x->src->objs[r->value].addr; /* a container's ranges start past it */
	if (pe && stf__check_numeric_host(x, pe, &x->src->objs[r->value], off) < 0)
		return -1;
	if (p->dst >= 0 && p->same && !x->fault) { /* the common case */
		*out = p->dst_addr + off;
		if (pe && pe->dunit)
			return check_dst_pointee(x, pe, &x->src->objs[r->value],
						 &x->dst->objs[p->dst], off);
		return 0;
	}
	const struct stf_obj *o = &x->src->objs[r->value];
	if (stf__slot_chunk_left(x, r->value)) { /* a dead link into an old slab (slots.c) */
		*out = v;
		x->rep->integers++;
		return 0;
	}
	j = pair_target(x, r->value);
	if (j < 0)
		return -1;
	if (!x->pair[r->value].same && stf__past_shrunk_sub(x, r->value, &x->dst->objs[j], off, out))
		return 0;
	doff = off;
	if (!x->pair[r->value].same &&
	    (map_obj_off(x, o, &x->dst->objs[j], off, &doff, pe) < 0 ||
	     check_target_type(x, pe, o, off, &x->dst->objs[j], doff) < 0))
		return -1;
	*out = x->dst->objs[j].addr + doff;
	if (pe && pe->dunit && check_dst_pointee(x, pe, o, &x->dst->objs[j], doff) < 0)
		return -1;
	if (x->fault == STF_FAULT_CORRUPT_POINTER && !x->fault_done &&
	    o->kind != STF_OBJ_FUNC && x->fault_alt >= 0 && x->fault_alt != j &&
	    x->fault_seen++ >= x->fault_point) {
		x->fault_done = 1;
		*out = x->dst->objs[x->fault_alt].addr;
		fprintf(stderr, "libstf: STF_FAULT: %s relocated to the wrong target\n",
			stf__cur_path(x));
	}
	return 0;
}

/* Does a struct/union of this kind and tag start at off in a value of
 * type (u, t)? */
static int named_at(const struct stf_meta_unit *u, uint32_t t, uint64_t off, uint8_t kind,
		    const char *tag, int depth)
{
	t = strip(u, t);
	if (t >= u->ntypes || depth > 64)
		return 0;
	const struct stf_type_rec *R = T(u, t);
	if (!off && R->kind == kind && !strcmp(stf_meta_str(u, R->name), tag))
		return 1;
	if (R->kind == STF_K_ARRAY) {
		uint32_t et = strip(u, R->target);
		uint64_t esz = et < u->ntypes ? T(u, et)->size : 0;
		return esz && named_at(u, et, off % esz, kind, tag, depth + 1);
	}
	if (R->kind != STF_K_STRUCT && R->kind != STF_K_UNION)
		return 0;
	for (uint32_t i = 0; i < R->nmembers; i++) {
		const struct stf_member_rec *m = &u->members[R->members + i];
		uint32_t mt = strip(u, m->type);
		if (m->bit_size || mt >= u->ntypes || (uint64_t)m->offset > off)
			continue;
		if ((off - m->offset < T(u, mt)->size || off == (uint64_t)m->offset) &&
		    named_at(u, mt, off - m->offset, kind, tag, depth + 1))
			return 1;
	}
	return 0;
}

static int obj_named_at(const struct stf_obj *o, uint64_t off, uint8_t kind, const char *tag)
{
	uint32_t t = strip(o->unit, o->type);
	uint64_t esz = t < o->unit->ntypes ? T(o->unit, t)->size : 0;
	if (stf__is_dynamic(o) && esz && o->size > esz)
		off %= esz;
	return named_at(o->unit, t, off, kind, tag, 0);
}

/* A pointer to a struct that really pointed to one must still point to
 * one of that name (renames followed) after its target moved. */
static int check_target_type(struct stf_xfer *x, const struct pointee *pe,
			     const struct stf_obj *so, uint64_t off,
			     const struct stf_obj *dobj, uint64_t doff)
{
	char tn[256], dn[256];
	if (!pe || !pe->unit || !so->unit || !dobj->unit)
		return 0;
	uint32_t pt = strip(pe->unit, pe->type);
	if (pt >= pe->unit->ntypes)
		return 0;
	const struct stf_type_rec *P = T(pe->unit, pt);
	const char *tag = stf_meta_str(pe->unit, P->name);
	if ((P->kind != STF_K_STRUCT && P->kind != STF_K_UNION) || !*tag ||
	    !obj_named_at(so, off, P->kind, tag))
		return 0; /* not a typed pointer to such a struct: nothing to keep */
	snprintf(tn, sizeof(tn), "%s %s", P->kind == STF_K_STRUCT ? "struct" : "union", tag);
	snprintf(dn, sizeof(dn), "%s", x->renames ? stf__rename(STF_RENAME_TYPE, tn, x->dir) : tn);
	const char *dtag = strchr(dn, ' ') ? strchr(dn, ' ') + 1 : dn;
	uint8_t dkind = !strncmp(dn, "union ", 6) ? STF_K_UNION : STF_K_STRUCT;
	if (obj_named_at(dobj, doff, dkind, dtag))
		return 0;
	char on[256];
	stf__xfail(x, "%s: points to %s in %s, but the new version has no %s there "
	      "(the target's type changed); register a callback", stf__cur_path(x), tn,
	      stf__obj_name(so, on, sizeof(on)), dn);
	return -1;
}

/* A pointer whose declared type changed to a pointer to a struct or union
 * must point to one in the destination: a struct session * holding the
 * old struct conn * to a struct conn points to a type it cannot legally
 * point to. */
static int check_dst_pointee(struct stf_xfer *x, const struct pointee *pe,
			     const struct stf_obj *so, const struct stf_obj *dobj, uint64_t doff)
{
	char tn[256], on[256], dn[256];
	const struct stf_meta_unit *pu = pe->dunit;
	uint32_t pt = pe->dtype;
	if (!dobj->unit || doff >= dobj->size || so->kind == STF_OBJ_FUNC ||
	    so->kind == STF_OBJ_STRING)
		return 0;
	stf__complete_type(x->dst->meta, &pu, &pt);
	pt = strip(pu, pt);
	if (pt >= pu->ntypes)
		return 0;
	const struct stf_type_rec *P = T(pu, pt);
	const char *tag = stf_meta_str(pu, P->name);
	if ((P->kind != STF_K_STRUCT && P->kind != STF_K_UNION) || !*tag ||
	    (P->flags & STF_TF_INCOMPLETE) || obj_named_at(dobj, doff, P->kind, tag))
		return 0;
	uint32_t dt = strip(dobj->unit, dobj->type);
	stf__xfail(x, "%s: its type became %s * but it points to %s (offset %" PRIu64 " of %s), "
	      "where the new version has no %s; register a callback", stf__cur_path(x),
	      stf__type_str(pu, pt, tn, sizeof(tn)), stf__obj_name(so, on, sizeof(on)), doff,
	      stf__type_str(dobj->unit, dt, dn, sizeof(dn)), stf__type_str(pu, pt, tn, sizeof(tn)));
	return -1;
}

int stf__xfer_relocate(struct stf_xfer *x, uint64_t src_ptr, uint64_t *dst_ptr)
{
	int r = stf__reloc(x, src_ptr, dst_ptr, NULL);
	if (r == 1) /* main's stack outside the arguments: no counterpart */
		*dst_ptr = 0;
	return r < 0 ? -1 : 0;
}
