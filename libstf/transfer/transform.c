/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * transform.c - type transformation: a value of the source type becomes a
 * value of the destination type.  Scalars are converted by scalars.c;
 * structs are matched member by member by name,
 * unions by their active member, arrays element by element (expanded or
 * truncated); unchanged types are copied and their pointers fixed up.
 * Type, member and object callbacks run here.
 */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "callbacks.h"
#include "engine.h"
#include "epoll.h"
#include "fault.h"
#include "remote.h"
#include "tables.h"
#include "xfer.h"

/* ------------------------------------------------------------------ */
/* Values.                                                             */

int stf__all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

/*
 * An ambiguous union (a pointer member, no annotation) of unchanged type
 * has its words classified like untyped memory's (copy_fast); with
 * --strict, only a library's (it cannot be annotated).  Otherwise it is a
 * problem only when one of its pointer members' slots holds something
 * that could be a pointer: zeros and small integers are copied as they are (a used
 * pthread_mutex_t, a union of a descriptor and a pointer holding the
 * descriptor).  In a local of an update point's function it is copied as
 * it is: such locals are scratch filled before each use (the struct
 * epoll_event of an event loop), and libc's unions cannot be annotated.
 */
static int union_holds_pointer(struct stf_xfer *x, const struct stf_meta_unit *u,
			       uint32_t t, const uint8_t *s)
{
	const struct stf_type_rec *U;

	if (x->obj && x->obj->kind == STF_OBJ_LOCAL)
		return 0;
	t = strip(u, t);
	U = T(u, t);
	for (uint32_t i = 0; i < U->nmembers; i++) {
		const struct stf_member_rec *m = &u->members[U->members + i];
		const struct stf_layout *l = stf__layout(x->layouts, u, m->type);
		if (!l)
			return 1;
		for (size_t k = 0; k < l->n; k++) {
			const struct stf_leaf *f = &l->leaves[k];
			uint64_t off = (uint64_t)m->offset + f->off, v = 0;
			if (f->kind == STF_LEAF_BYTES || f->kind == STF_LEAF_BITS)
				continue;
			if (off + (f->kind == STF_LEAF_AMBIG ? f->size : 8) > U->size)
				return 1;
			if (f->kind == STF_LEAF_AMBIG) {
				if (!stf__all_zero(s + off, f->size))
					return 1;
				continue;
			}
			memcpy(&v, s + off, 8);
			if (v && !stf__not_a_pointer(v))
				return 1;
		}
	}
	return 0;
}

/* Relocate the pointer at s into d. */
int stf__reloc_into(struct stf_xfer *x, const uint8_t *s, uint8_t *d, const struct pointee *pe)
{
	uint64_t v, nv;
	memcpy(&v, s, 8);
	int r = stf__reloc(x, v, &nv, pe);
	if (r < 0)
		return -1;
	if (r == 1) {
		uint64_t at = (uint64_t)(d - x->keep_base);
		if (d < x->keep_base || at + 8 > x->keep_len)
			return 0;
		memcpy(d, x->keep_orig + at, 8);
		return 0;
	}
	memcpy(d, &nv, 8);
	return 0;
}

/* A value of an unchanged type whose layout is l: its bytes, then its
 * pointers relocated. */
static int copy_layout(struct stf_xfer *x, const struct stf_layout *l,
		       const struct stf_meta_unit *u, uint32_t t, const uint8_t *s, uint8_t *d)
{
	memcpy(d, s, l->size);
	if (!l->nptrs)
		return 0;
	for (size_t i = 0; i < l->n; i++) {
		const struct stf_leaf *f = &l->leaves[i];
		uint64_t v;
		if (f->kind == STF_LEAF_BYTES || f->kind == STF_LEAF_BITS)
			continue;
		if (f->kind == STF_LEAF_AMBIG) {
			if ((!x->strict ||
			     (T(f->unit, strip(f->unit, f->type))->flags & STF_TF_SYSTEM)) &&
			    !(x->obj && x->obj->kind == STF_OBJ_LOCAL)) {
				/* its words classified (untyped.c), as untyped memory's:
				 * which member is live, no type says; in a part too (a
				 * Redis dict's entries: a third of its objects) */
				x->leaf_unit = u, x->leaf_type = t, x->leaf_off = f->off;
				x->leaf_active = 1;
				int r = stf__conservative_words(x, s + f->off, d + f->off, f->size);
				x->leaf_active = 0;
				if (r < 0)
					return -1;
				continue;
			}
			if (union_holds_pointer(x, f->unit, f->type, s + f->off)) {
				char tn[128];
				x->leaf_unit = u, x->leaf_type = t, x->leaf_off = f->off;
				x->leaf_active = 1;
				stf__xfail(x, "%s: ambiguous %s holds a non-NULL value; annotate it "
				      "with STF_IXFER or STF_PXFER, or register a callback",
				      stf__cur_path(x), stf__type_str(f->unit, f->type, tn, sizeof(tn)));
				x->leaf_active = 0;
				return -1;
			}
			continue;
		}
		memcpy(&v, s + f->off, 8);
		if (!v)
			continue;
		x->leaf_unit = u, x->leaf_type = t, x->leaf_off = f->off;
		x->leaf_active = 1;
		struct pointee pe = { f->kind == STF_LEAF_PTR ? f->unit : NULL, f->type, NULL, 0 };
		if (stf__reloc_into(x, s + f->off, d + f->off, &pe) < 0) {
			x->leaf_active = 0;
			return -1;
		}
		x->leaf_active = 0;
	}
	return 0;
}

static int copy_fast(struct stf_xfer *x, const struct stf_meta_unit *u, uint32_t t,
		     const uint8_t *s, uint8_t *d)
{
	const struct stf_layout *l = stf__layout(x->layouts, u, t);
	if (!l) {
		stf__xfail(x, "out of memory building the layout of a type");
		return -1;
	}
	return copy_layout(x, l, u, t, s, d);
}

int stf__run_value_cb(struct stf_xfer *x, const struct stf_cb *cb,
			const struct stf_meta_unit *su, uint32_t st, const uint8_t *s, size_t ssize,
			const struct stf_meta_unit *du, uint32_t dt, uint8_t *d, size_t dsize)
{
	char a[256], b[256], path[1400];
	snprintf(path, sizeof(path), "%s", stf__cur_path(x));
	struct stf_value sv = { path, stf__type_str(su, st, a, sizeof(a)), (void *)s, ssize };
	struct stf_value dv = { path, stf__type_str(du, dt, b, sizeof(b)), d, dsize };
	int r = cb->fn.value(x, &sv, &dv, cb->arg);
	if (r == STF_CB_ERROR) {
		stf__xfail(x, "%s: transfer callback failed", path);
		return -1;
	}
	return r == STF_CB_DONE ? 0 : 1;
}


static int same_type(const struct stf_meta_unit *su, uint32_t st,
		     const struct stf_meta_unit *du, uint32_t dt)
{
	st = strip(su, st);
	dt = strip(du, dt);
	if (st >= su->ntypes || dt >= du->ntypes)
		return 1;
	return T(su, st)->hash == T(du, dt)->hash && T(su, st)->size == T(du, dt)->size;
}

/* Whether the bytes of a floating-point value are a plausible number: not
 * NaN nor subnormal in its own precision (those are rather the bytes of
 * an integer seen as a float). */
static int plausible_float(const uint8_t *p, uint64_t size)
{
	int c;
	if (size == 4) {
		float v;
		memcpy(&v, p, 4);
		c = fpclassify(v);
	} else if (size == 8) {
		double v;
		memcpy(&v, p, 8);
		c = fpclassify(v);
	} else {
		return 1;
	}
	return c == FP_NAN || c == FP_SUBNORMAL ? 0 : 1;
}

/* A member of a union in both versions: source member at soff (from the
 * base s passed along), destination member at doff. */
struct ucand {
	const struct stf_member_rec *sm, *dm;
	uint64_t soff, doff;
};

/* Transfer a union value whose members changed type: which member holds
 * the value is not recorded, so every member of both versions is tried;
 * a member is out if the source bytes outside it are not zero, if its
 * conversion fails or if it would hold a pointer; a floating-point member
 * whose value is NaN or subnormal only counts when nothing else does.
 * The value is transferred when the members left agree on the result,
 * else the transfer aborts.  The source union spans [slo, shi) of s, the
 * destination one dsize bytes at d.  1: no member changed (copy bytes). */
static int xform_union(struct stf_xfer *x, const struct stf_meta_unit *su, const uint8_t *s,
		       uint64_t slo, uint64_t shi, const struct stf_meta_unit *du, uint8_t *d,
		       uint64_t dsize, const struct ucand *c, size_t n, const char *what,
		       int depth)
{
	size_t i, k, changed = n;
	for (i = 0; i < n; i++)
		if (!same_type(su, c[i].sm->type, du, c[i].dm->type) ||
		    c[i].soff - slo != c[i].doff || c[i].sm->bit_size || c[i].dm->bit_size) {
			changed = i;
			break;
		}
	if (changed == n)
		return 1;
	if (x->in_part)
		return stf__part_defer(x); /* trials: rare, serial */
	memset(d, 0, dsize);
	if (stf__all_zero(s + slo, shi - slo))
		return 0;
	uint8_t *tmp = stf__raw_malloc(2 * dsize + 1);
	int rc = -1, best = -1, best_strong = 0, agree = 1;
	if (!tmp) {
		stf__xfail(x, "out of memory");
		return -1;
	}
	for (i = 0; i < n; i++) {
		uint32_t smt = strip(su, c[i].sm->type);
		uint64_t ssz = smt < su->ntypes ? T(su, smt)->size : 0;
		const struct stf_layout *l = smt < su->ntypes ? stf__layout(x->layouts, su, smt) : NULL;
		if (!ssz || !l || l->nptrs || c[i].sm->bit_size || c[i].dm->bit_size ||
		    !stf__all_zero(s + slo, c[i].soff - slo) ||
		    !stf__all_zero(s + c[i].soff + ssz, shi - c[i].soff - ssz))
			continue;
		int strong = 1;
		if (T(su, smt)->kind == STF_K_FLOAT && !plausible_float(s + c[i].soff, ssz))
			strong = 0;
		uint8_t *out = best < 0 ? tmp : tmp + dsize;
		int failed = x->failed;
		memset(out, 0, dsize);
		x->trial++; /* a member that does not fit is not a problem */
		size_t mark = stf__path_member(x, stf_meta_str(su, c[i].sm->name));
		int r = stf__xform(x, su, c[i].sm->type, s + c[i].soff, du, c[i].dm->type,
			      out + c[i].doff, depth + 1);
		stf__path_cut(x, mark);
		int ok = r == 0 && !x->failed;
		x->trial--;
		x->failed = failed;
		if (!ok || (best >= 0 && best_strong && !strong))
			continue;
		if (best < 0 || (strong && !best_strong)) {
			if (out != tmp)
				memcpy(tmp, out, dsize);
			best = (int)i;
			best_strong = strong;
			agree = 1;
		} else if (memcmp(tmp, out, dsize)) {
			agree = 0;
		}
	}
	if (best >= 0 && agree) {
		size_t mark = stf__path_member(x, stf_meta_str(su, c[best].sm->name));
		rc = stf__xform(x, su, c[best].sm->type, s + c[best].soff, du, c[best].dm->type,
			   d + c[best].doff, depth + 1);
		stf__path_cut(x, mark);
	} else {
		char b[256], e[256];
		k = changed;
		stf__xfail(x, "%s: member %s of %s changed type (%s -> %s) and the value fits %s; "
		      "which member the union holds is not known: register a callback "
		      "(stf_on_type, or stf_on_member of the struct holding it)", stf__cur_path(x),
		      stf_meta_str(su, c[k].sm->name), what, stf__type_str(su, c[k].sm->type, b, sizeof(b)),
		      stf__type_str(du, c[k].dm->type, e, sizeof(e)),
		      best < 0 ? "none of its members" : "several members differently");
	}
	stf__raw_free(tmp);
	return rc;
}

/* The source members of an anonymous union's candidates are pointers
 * at one offset (the source union is one of pointers too). */
static int all_pointers(const struct stf_meta_unit *su, const struct ucand *uc, size_t nc)
{
	for (size_t k = 0; k < nc; k++) {
		uint32_t t = strip(su, uc[k].sm->type);
		if (T(su, t)->kind != STF_K_POINTER || uc[k].soff != uc[0].soff)
			return 0;
	}
	return 1;
}

static int xform_struct(struct stf_xfer *x, const struct stf_meta_unit *su, uint32_t st,
			const uint8_t *s, const struct stf_meta_unit *du, uint32_t dt,
			uint8_t *d, uint32_t src_struct, int depth);

/* Destination member i of struct dt from its source member in st (map:
 * found by name once per pair of types; NULL: looked up now). */
static int xform_member(struct stf_xfer *x, const struct stf_meta_unit *su, uint32_t st,
			const uint8_t *s, const struct stf_meta_unit *du, uint32_t dt,
			uint8_t *d, uint32_t src_struct, const struct member_map *map,
			uint32_t i, int depth)
{
	const struct stf_type_rec *D = T(du, dt);

	const struct stf_member_rec *dm = &du->members[D->members + i];
	const char *dname = stf_meta_str(du, dm->name);
	uint32_t dmt = strip(du, dm->type);
	uint64_t sabs;
	if (dmt >= du->ntypes)
		return 0;
	if (!*dname) {
		/* anonymous member: its inner members are matched by name */
		if (T(du, dmt)->kind == STF_K_STRUCT) {
			if (xform_struct(x, su, st, s, du, dmt, d + dm->offset,
					 src_struct, depth + 1) < 0)
				return -1;
		} else if (T(du, dmt)->kind == STF_K_UNION) {
			const struct stf_type_rec *U = T(du, dmt);
			struct ucand uc[64];
			size_t nc = 0;
			uint64_t slo = UINT64_MAX, shi = 0;
			for (uint32_t k = 0; k < U->nmembers && nc < 64; k++) {
				const struct stf_member_rec *um = &du->members[U->members + k];
				const char *un = stf_meta_str(du, um->name);
				const struct stf_member_rec *sm =
					*un ? stf__src_member_for(x, su, st, un, &sabs) : NULL;
				uint32_t smt = sm ? strip(su, sm->type) : STF_NONE;
				if (smt >= su->ntypes)
					continue;
				uc[nc++] = (struct ucand){ sm, um, sabs, um->offset };
				if (sabs < slo)
					slo = sabs;
				if (sabs + T(su, smt)->size > shi)
					shi = sabs + T(su, smt)->size;
			}
			if (nc == U->nmembers && stf__union_of_pointers(du, dmt) &&
			    shi - slo == 8 && all_pointers(su, uc, nc)) {
				/* one pointer, whichever member stored it */
				if (stf__reloc_into(x, s + slo, d + dm->offset, NULL) < 0)
					return -1;
				return 0;
			}
			if (nc) {
				/* the destination offsets relative to the union,
				 * the source ones to the union's lowest member */
				for (size_t k = 0; k < nc; k++)
					uc[k].doff = uc[k].dm->offset;
				char tn[256], un[300];
				snprintf(un, sizeof(un), "an anonymous union of %s",
					 stf__type_str(du, dt, tn, sizeof(tn)));
				int r = xform_union(x, su, s, slo, shi, du, d + dm->offset,
						    T(du, dmt)->size, uc, nc, un, depth);
				if (r < 0)
					return -1;
				if (r == 0)
					return 0;
				/* no member changed: the bytes of the whole
				 * union when none holds a pointer */
				size_t k = 0;
				for (; k < nc; k++) {
					const struct stf_layout *l = stf__layout(x->layouts,
						su, strip(su, uc[k].sm->type));
					if (!l || l->nptrs)
						break;
				}
				if (k == nc) {
					uint64_t n = shi - slo < T(du, dmt)->size ? shi - slo :
						     T(du, dmt)->size;
					memcpy(d + dm->offset, s + slo, n);
					return 0;
				}
			}
			for (uint32_t k = 0; k < U->nmembers; k++) {
				const struct stf_member_rec *um = &du->members[U->members + k];
				const char *un = stf_meta_str(du, um->name);
				const struct stf_member_rec *sm =
					*un ? stf__src_member_for(x, su, st, un, &sabs) : NULL;
				if (!sm)
					continue;
				size_t mark = stf__path_member(x, un);
				int r = stf__xform(x, su, sm->type, s + sabs, du, um->type,
					      d + dm->offset + um->offset, depth + 1);
				stf__path_cut(x, mark);
				if (r < 0)
					return -1;
				break; /* one member of a union carries the value */
			}
		}
		return 0;
	}
	const struct stf_member_rec *sm;
	if (map) {
		sm = map->sm[i];
		sabs = map->sabs[i];
	} else {
		sm = stf__src_member_for(x, su, st, dname, &sabs);
	}
	if (!sm && x->cb_member && x->dir == STF_FORWARD) {
		/* added member: a member callback computes it from the
		 * whole source struct */
		char tn[256];
		struct stf_cb cb;
		if (!stf__cb_find_member(stf__type_str(du, dt, tn, sizeof(tn)), dname, x->dir, &cb)) {
			size_t mark = stf__path_member(x, dname);
			int r = stf__run_value_cb(x, &cb, su, src_struct, s, T(su, src_struct)->size,
					     du, dmt, d + dm->offset, T(du, dmt)->size);
			stf__path_cut(x, mark);
			if (r < 0)
				return -1;
		}
		return 0;
	}
	if (!sm)
		return 0; /* added member: stays zero */
	uint32_t smt = strip(su, sm->type);
	if (smt >= su->ntypes)
		return 0;
	size_t mark = stf__path_member(x, dname);
	int r = 1;
	if (x->cb_member) {
		char tn[256];
		struct stf_cb cb;
		const char *mname = x->dir == STF_FORWARD ? dname :
				    stf_meta_str(su, sm->name);
		if (x->dir == STF_FORWARD)
			stf__type_str(du, x->dir == STF_FORWARD ? dt : st, tn, sizeof(tn));
		else
			stf__type_str(su, src_struct, tn, sizeof(tn));
		if (!stf__cb_find_member(tn, mname, x->dir, &cb))
			r = stf__run_value_cb(x, &cb, su, smt, s + sabs, T(su, smt)->size,
					 du, dmt, d + dm->offset, T(du, dmt)->size);
	}
	if (r == 1) {
		if ((sm->flags | dm->flags) & STF_MF_IXFER) {
			uint64_t n = T(su, smt)->size < T(du, dmt)->size ?
				     T(su, smt)->size : T(du, dmt)->size;
			memcpy(d + dm->offset, s + sabs, n);
			r = 0;
		} else if (((sm->flags | dm->flags) & STF_MF_PXFER) &&
			   T(su, smt)->size == 8 && T(du, dmt)->size == 8) {
			r = stf__reloc_into(x, s + sabs, d + dm->offset, NULL);
		} else if (sm->bit_size || dm->bit_size) {
			r = stf__convert_scalar(x, su, smt, s + sabs, sm->bit_size ? sm : NULL,
					   du, dmt, d + dm->offset,
					   dm->bit_size ? dm : NULL);
		} else if (stf__is_flexible(du, dmt) && stf__is_flexible(su, smt)) {
			r = 0; /* trailing data: transferred per object */
		} else {
			r = stf__xform(x, su, smt, s + sabs, du, dmt, d + dm->offset, depth + 1);
		}
	}
	stf__path_cut(x, mark);
	if (r < 0)
		return -1;
	return 0;
}

/* The plan of a pair of struct types (member-plan.c) on one value: what
 * the member walk would do, without its per-member lookups. */
static int run_steps(struct stf_xfer *x, const struct stf_meta_unit *su, uint32_t st,
		     const uint8_t *s, const struct stf_meta_unit *du, uint32_t dt,
		     uint8_t *d, uint32_t src_struct, const struct member_map *map, int depth)
{
	for (size_t k = 0; k < map->nsteps && !x->failed; k++) {
		const struct member_step *op = &map->steps[k];
		int r;
		if (op->kind == STF_STEP_COPY) {
			memcpy(d + op->doff, s + op->soff, op->len);
			continue;
		}
		if (op->kind == STF_STEP_MEMBER) {
			if (xform_member(x, su, st, s, du, dt, d, src_struct, map, op->member,
					 depth) < 0)
				return -1;
			continue;
		}
		size_t mark = stf__path_member(x, op->name);
		if (op->kind == STF_STEP_SAME) {
			r = copy_layout(x, op->layout, su, op->stype, s + op->soff, d + op->doff);
		} else if (op->kind == STF_STEP_POINTER) {
			x->rep->type_transforms++;
			r = stf__reloc_into(x, s + op->soff, d + op->doff, &op->pe);
		} else {
			x->rep->type_transforms++;
			r = stf__convert_scalar(x, su, op->stype, s + op->soff, NULL, du, op->dtype,
						d + op->doff, NULL);
		}
		stf__path_cut(x, mark);
		if (r < 0)
			return -1;
	}
	return x->failed ? -1 : 0;
}

static int xform_struct(struct stf_xfer *x, const struct stf_meta_unit *su, uint32_t st,
			const uint8_t *s, const struct stf_meta_unit *du, uint32_t dt,
			uint8_t *d, uint32_t src_struct, int depth)
{
	const struct stf_type_rec *D = T(du, dt);
	const struct member_map *map = stf__member_map(x, su, st, du, dt);
	/* callbacks of member types or members: the walk finds them */
	if (map && !x->cb_type && !x->cb_member && depth < 64)
		return run_steps(x, su, st, s, du, dt, d, src_struct, map, depth);
	for (uint32_t i = 0; i < D->nmembers && !x->failed; i++)
		if (xform_member(x, su, st, s, du, dt, d, src_struct, map, i, depth) < 0)
			return -1;
	return x->failed ? -1 : 0;
}

/* Backward: is the source element at s (F's bytes) one the forward
 * transfer left with the new version's value (stf__fwd_new_elems)? */
static int is_new_elem(struct stf_xfer *x, const uint8_t *s, uint64_t size)
{
	if (x->dir != STF_BACKWARD || !x->obj || !x->obj->bytes || !stf__fwd_new_elems.n)
		return 0;
	uint64_t a = x->obj->addr + (uint64_t)(s - x->obj->bytes);
	const struct stf_range *r = stf__index_find(&stf__fwd_new_elems, a, 0);
	return r && a + size <= r->start + r->size;
}

/* Where the entries of an array of a static go (element types se, de):
 * NULL by index, else, for a table whose entries the new version
 * inserted, removed or reordered, each to the same entry (tables.c). */
static uint64_t *table_map(struct stf_xfer *x, const struct stf_meta_unit *su, uint32_t se,
			   const uint8_t *s, uint64_t scount, const struct stf_meta_unit *du,
			   uint32_t de, uint8_t *d, uint64_t dcount, struct stf_table_ids *ids)
{
	const struct stf_type_rec *SE = T(su, se), *DE = T(du, de);
	uint64_t desz = DE->size;
	/* only tables of structs that changed (a table the same in both
	 * versions pairs by index, at no cost) */
	if (!x->obj || x->obj->kind != STF_OBJ_STATIC || !x->keep_orig || scount < 2 ||
	    SE->kind != STF_K_STRUCT || DE->kind != STF_K_STRUCT ||
	    (scount == dcount && SE->hash == DE->hash) || scount > STF_TABLE_MAX ||
	    dcount > STF_TABLE_MAX ||
	    d < x->keep_base || d + dcount * desz > x->keep_base + x->keep_len)
		return NULL;
	uint64_t *map = stf__arena_alloc(x->arena, scount * sizeof(*map));
	int r = map ? stf__table_map(x, su, se, s, scount, du, de,
				     x->keep_orig + (d - x->keep_base), dcount, map, ids)
		    : 0;
	if (r < 0)
		stf__xfail(x, "%s: the new version's table has %" PRIu64 " entries, the old %" PRIu64
			   ", and an entry whose name is a string of the heap (renamed at run "
			   "time) agrees by its functions and names with several of the new "
			   "entries: give each entry a handler of its own, or register a "
			   "callback (stf_on_object) to transfer the table",
			   stf__cur_path(x), dcount, scount);
	return r > 0 ? map : NULL;
}

/* The entries of a table to where map says, their identity (functions
 * and names) the destination's own: a literal is paired by its place in
 * the code, which an inserted entry shifts.  An entry of the source that
 * the destination does not have must be empty, or one the forward
 * transfer added (backward). */
static int xform_table(struct stf_xfer *x, const struct stf_meta_unit *su, uint32_t se,
		       const uint8_t *s, uint64_t scount, const struct stf_meta_unit *du,
		       uint32_t de, uint8_t *d, uint64_t dcount, const uint64_t *map,
		       const struct stf_table_ids *ids, int depth)
{
	uint64_t esz = T(su, se)->size, desz = T(du, de)->size;
	const uint8_t *dorig = x->keep_orig + (d - x->keep_base);
	uint8_t *taken = stf__arena_alloc(x->arena, dcount);

	if (!taken) {
		stf__xfail(x, "out of memory");
		return -1;
	}
	memset(taken, 0, dcount);
	for (uint64_t i = 0; i < scount; i++) {
		if (map[i] == STF_TABLE_NONE) {
			if (!stf__all_zero(s + i * esz, esz) && !is_new_elem(x, s + i * esz, esz)) {
				stf__xfail(x, "%s: entry [%" PRIu64 "] of the table is not in the new "
				      "version's table (no entry there has its functions and names); "
				      "register a callback (stf_on_object) to transfer it",
				      stf__cur_path(x), i);
				return -1;
			}
			continue;
		}
		taken[map[i]] = 1;
		size_t mark = stf__path_index(x, i);
		int r = stf__xform(x, su, se, s + i * esz, du, de, d + map[i] * desz, depth + 1);
		stf__path_cut(x, mark);
		if (r < 0)
			return -1;
		for (size_t m = 0; m < ids->n; m++)
			if (!(ids->unknown[i] & (1u << m)))
				memcpy(d + map[i] * desz + ids->doff[m],
				       dorig + map[i] * desz + ids->doff[m], sizeof(uint64_t));
	}
	/* as below: the entries only the new version has are new state */
	for (uint64_t j = 0; x->keep_new && j < dcount; j++)
		if (!taken[j])
			stf__index_add(&stf__fwd_new_elems, (uint64_t)(uintptr_t)(d + j * desz), desz, 0);
	return 0;
}

static int xform_array(struct stf_xfer *x, const struct stf_meta_unit *su, uint32_t st,
		       const uint8_t *s, const struct stf_meta_unit *du, uint32_t dt,
		       uint8_t *d, uint64_t scount, uint64_t dcount, int depth)
{
	uint32_t se = strip(su, T(su, st)->target), de = strip(du, T(du, dt)->target);
	if (se >= su->ntypes || de >= du->ntypes)
		return 0;
	uint64_t esz = T(su, se)->size, desz = T(du, de)->size;
	uint64_t n = scount < dcount ? scount : dcount;
	const struct stf_type_rec *SE = T(su, se), *DE = T(du, de);

	if (SE->hash == DE->hash && esz == desz && !x->cb_type && !x->cb_member) {
		const struct stf_layout *l = stf__layout(x->layouts, su, se);
		if (l && !l->nptrs) {
			memcpy(d, s, n * esz);
			goto truncated;
		}
	}
	struct stf_table_ids ids;
	const uint64_t *map = table_map(x, su, se, s, scount, du, de, d, dcount, &ids);
	if (map)
		return xform_table(x, su, se, s, scount, du, de, d, dcount, map, &ids, depth);
	if (x->failed)
		return -1;
	for (uint64_t i = 0; i < n; i++) {
		size_t mark = stf__path_index(x, i);
		int r = stf__xform(x, su, se, s + i * esz, du, de, d + i * desz, depth + 1);
		stf__path_cut(x, mark);
		if (r < 0)
			return -1;
	}
truncated:
	/* forward, the elements a static array gained keep the new
	 * version's values: remembered, so that backward they are new
	 * state to leave behind, not a value lost */
	if (x->keep_new && dcount > scount)
		stf__index_add(&stf__fwd_new_elems, (uint64_t)(uintptr_t)(d + n * desz),
			       (dcount - n) * desz, 0);
	for (uint64_t i = n; i < scount; i++)
		if (!stf__all_zero(s + i * esz, esz) && !is_new_elem(x, s + i * esz, esz)) {
			stf__xfail(x, "%s: array shrinks from %" PRIu64 " to %" PRIu64 " elements and "
			      "element [%" PRIu64 "] is not empty; register a callback "
			      "(stf_on_member/stf_on_object) to transfer it", stf__cur_path(x),
			      scount, dcount, i);
			return -1;
		}
	return 0;
}

int stf__xform(struct stf_xfer *x, const struct stf_meta_unit *su, uint32_t st0,
		 const uint8_t *s, const struct stf_meta_unit *du, uint32_t dt0,
		 uint8_t *d, int depth)
{
	uint32_t st = strip(su, st0), dt = strip(du, dt0);
	char a[256], b[256];

	if (st >= su->ntypes || dt >= du->ntypes || depth > 64)
		return 0;
	const struct stf_type_rec *S = T(su, st), *D = T(du, dt);
	if (x->cb_type) {
		struct stf_cb cb;
		const struct stf_meta_unit *vu = x->dir == STF_FORWARD ? du : su;
		uint32_t vt0 = x->dir == STF_FORWARD ? dt0 : st0;
		uint32_t vt = x->dir == STF_FORWARD ? dt : st;
		if (!stf__cb_find_type(stf__type_str(vu, vt0, a, sizeof(a)), x->dir, &cb) ||
		    (vt0 != vt && !stf__cb_find_type(stf__type_str(vu, vt, a, sizeof(a)), x->dir, &cb))) {
			int r = stf__run_value_cb(x, &cb, su, st0, s, S->size, du, dt0, d, D->size);
			if (r <= 0)
				return r;
		}
	}
	if (S->hash == D->hash && S->size == D->size && S->kind == D->kind && !x->cb_member)
		return copy_fast(x, su, st, s, d);
	if ((S->flags | D->flags) & STF_TF_OPAQUE) {
		if (S->size != D->size) {
			stf__xfail(x, "%s: opaque type %s changed size (%" PRIu64 " -> %" PRIu64
			      "); register a callback", stf__cur_path(x), stf__type_str(du, dt, b, sizeof(b)),
			      S->size, D->size);
			return -1;
		}
		memcpy(d, s, S->size);
		return 0;
	}
	x->rep->type_transforms++;
	if (stf__renamed_type(x, su, st, du, dt)) {
		stf__xfail(x, "%s: %s became %s; if that is a rename, declare it with "
		      "stf_rename(STF_RENAME_TYPE, ...), else register a callback", stf__cur_path(x),
		      stf__type_str(su, st, a, sizeof(a)), stf__type_str(du, dt, b, sizeof(b)));
		return -1;
	}
	switch (D->kind) {
	case STF_K_INT:
	case STF_K_ENUM:
	case STF_K_FLOAT:
		return stf__convert_scalar(x, su, st, s, NULL, du, dt, d, NULL);
	case STF_K_POINTER:
		if (S->kind == STF_K_POINTER) {
			struct pointee pe = { su, S->target, NULL, 0 };
			uint32_t sp = strip(su, S->target), dp = strip(du, D->target);
			if (sp < su->ntypes && dp < du->ntypes &&
			    T(su, sp)->hash != T(du, dp)->hash) {
				pe.dunit = du;
				pe.dtype = D->target;
			}
			return stf__reloc_into(x, s, d, &pe);
		}
		break;
	case STF_K_ARRAY:
		if (S->kind == STF_K_ARRAY)
			return xform_array(x, su, st, s, du, dt, d, S->count, D->count, depth);
		break;
	case STF_K_STRUCT:
		if (S->kind == STF_K_STRUCT)
			return xform_struct(x, su, st, s, du, dt, d, st, depth);
		break;
	case STF_K_UNION:
		if (S->kind == STF_K_UNION && (S->flags & D->flags & STF_TF_FUNCTIONS) &&
		    S->size == 8 && D->size == 8) {
			/* one function pointer (its members may have changed) */
			const struct stf_layout *l = stf__layout(x->layouts, su, st);
			struct pointee pe = { su, l && l->n == 1 ? l->leaves[0].type : STF_NONE, NULL, 0 };
			return stf__reloc_into(x, s, d, &pe);
		}
		if (S->kind == STF_K_UNION && stf__union_of_pointers(su, st) &&
		    stf__union_of_pointers(du, dt))
			return stf__reloc_into(x, s, d, NULL); /* by its target */
		if (S->kind == STF_K_UNION) {
			if ((S->flags & STF_TF_AMBIGUOUS) && union_holds_pointer(x, su, st, s)) {
				stf__xfail(x, "%s: ambiguous %s holds a non-NULL value; annotate it with "
				      "STF_IXFER or STF_PXFER, or register a callback", stf__cur_path(x),
				      stf__type_str(su, st, a, sizeof(a)));
				return -1;
			}
			struct ucand uc[64];
			size_t nc = 0;
			int anon = 0;
			for (uint32_t i = 0; i < S->nmembers && nc < 64; i++) {
				const struct stf_member_rec *m = &su->members[S->members + i];
				const char *mn = stf_meta_str(su, m->name);
				uint64_t abs;
				if (!*mn) {
					anon = 1;
					break;
				}
				const struct stf_member_rec *dm =
					stf__member_named(du, dt, stf__member_dst_name(x, su, st, mn), &abs);
				if (dm)
					uc[nc++] = (struct ucand){ m, dm, (uint64_t)m->offset, abs };
			}
			if (!anon && nc) {
				int r = xform_union(x, su, s, 0, S->size, du, d, D->size, uc, nc,
						    stf__type_str(su, st, a, sizeof(a)), depth);
				if (r <= 0)
					return r;
			}
			uint64_t n = S->size < D->size ? S->size : D->size;
			if (!stf__all_zero(s + n, S->size - n)) {
				stf__xfail(x, "%s: %s shrinks and its value does not fit; register a "
				      "callback", stf__cur_path(x), stf__type_str(su, st, a, sizeof(a)));
				return -1;
			}
			memcpy(d, s, n);
			/* kept as it was: a member annotated STF_PXFER in both
			 * versions holds a pointer or an integer (see layout_walk) */
			for (uint32_t i = 0; i < S->nmembers; i++) {
				const struct stf_member_rec *m = &su->members[S->members + i], *dm;
				uint32_t mt = strip(su, m->type);
				uint64_t abs;
				if (!(m->flags & STF_MF_PXFER) || m->bit_size || mt >= su->ntypes ||
				    T(su, mt)->size != 8 || !*stf_meta_str(su, m->name))
					continue;
				dm = stf__member_named(du, dt, stf__member_dst_name(x, su, st,
						  stf_meta_str(su, m->name)), &abs);
				if (dm && (dm->flags & STF_MF_PXFER) && abs == (uint64_t)m->offset &&
				    abs + 8 <= n && strip(du, dm->type) < du->ntypes &&
				    T(du, strip(du, dm->type))->size == 8)
					return stf__reloc_into(x, s + abs, d + abs, NULL);
			}
			return 0;
		}
		break;
	case STF_K_COMPLEX:
	case STF_K_VECTOR:
		if (S->kind == D->kind && S->size == D->size) {
			memcpy(d, s, S->size);
			return 0;
		}
		break;
	default:
		break;
	}
	stf__xfail(x, "%s: cannot convert %s to %s automatically; register a callback "
	      "(stf_on_member/stf_on_type/stf_on_object)", stf__cur_path(x),
	      stf__type_str(su, st, a, sizeof(a)), stf__type_str(du, dt, b, sizeof(b)));
	return -1;
}

/* Flexible array member at the end of struct t: its element type and offset. */
int stf__flex_tail(const struct stf_meta_unit *u, uint32_t t, uint32_t *elem, uint64_t *off)
{
	t = strip(u, t);
	if (t >= u->ntypes || T(u, t)->kind != STF_K_STRUCT || !T(u, t)->nmembers)
		return 0;
	const struct stf_member_rec *m = &u->members[T(u, t)->members + T(u, t)->nmembers - 1];
	if (!stf__is_flexible(u, m->type))
		return 0;
	*elem = strip(u, T(u, strip(u, m->type))->target);
	*off = m->offset;
	return *elem < u->ntypes;
}

/* Destination size of a dynamic object: the element count is kept; a
 * flexible array member keeps its number of trailing elements, and the
 * bytes after the last whole one (a fixed-size buffer carved into
 * elements: they are copied as they are, see stf__xfer_obj).  Such an
 * object may end before the new struct's tail padding (`sizeof(*e) +
 * strlen(key) + 1` where sizeof passes the offset of `key`): rounding it
 * up to sizeof would read the padding as one more element on the way
 * back (t/xfer/flexgrow), and no member lies there. */
uint64_t stf__dst_size(const struct stf_obj *so, const struct stf_meta_unit *du, uint32_t dt)
{
	if (!so->unit || !du)
		return so->size;
	uint32_t st = strip(so->unit, so->type);
	dt = strip(du, dt);
	uint64_t esz = T(so->unit, st)->size, desz = T(du, dt)->size;
	uint32_t se, de;
	uint64_t soff, doff;
	if (stf__flex_tail(so->unit, st, &se, &soff) && stf__flex_tail(du, dt, &de, &doff)) {
		uint64_t sesz = T(so->unit, se)->size, desz2 = T(du, de)->size;
		uint64_t n = sesz && so->size > soff ? (so->size - soff) / sesz : 0;
		uint64_t rest = so->size > soff ? so->size - soff - n * sesz : 0;
		return doff + n * desz2 + rest;
	}
	if (!esz)
		return so->size;
	uint64_t variant = so->size < esz ? stf__variant_dst_size(so, du, dt) : UINT64_MAX;
	if (variant != UINT64_MAX)
		return variant;
	uint64_t tail = stf__tail_dst_size(so, du, dt);
	if (tail != UINT64_MAX)
		return tail;
	if (esz == desz && T(so->unit, st)->hash == T(du, dt)->hash)
		return so->size; /* unchanged: trailing bytes too */
	/* the bytes after the last whole element (a struct and a tail of its
	 * own, `malloc(sizeof(*e) + n)`) follow the converted elements as
	 * they are: rounded up to one more element, the way back would not
	 * give the past's size (t/xfer/tailuntyped) */
	return so->size / esz * desz + so->size % esz;
}
