/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * member-strides.c - element sizes kept next to a `void *` member (moved
 * from member-uses.c): a member the code indexes S.m's value by
 * (`(char *)a->elts + a->size * i`, the plugin's STF_USE_STRIDE records)
 * is the element size of the array behind it: when that array's element
 * type changes size, the member gets the new size (stf__fix_strides),
 * provided it held the old one.
 */
#include <inttypes.h>
#include <string.h>

#include "engine.h"
#include "remote.h"
#include "xfer.h"

/* The integer members the code indexes member `name` of the struct of
 * hash owner by (STF_USE_STRIDE: a product `a->size * a->nelts` added to
 * `a->elts` records both): their names in names[], how many (at most
 * max). */
static size_t stride_members(const struct stf_meta *m, uint64_t owner, const char *name,
			     const char **names, size_t max)
{
	size_t n = 0;
	for (size_t k = 0; k < m->nunits; k++) {
		const struct stf_meta_unit *ru = &m->units[k];
		for (uint32_t i = 0; i < ru->nuses && n < max; i++) {
			const struct stf_use_rec *r = &ru->uses[i];
			if (!(r->flags & STF_USE_STRIDE) || ru->types[r->type].hash != owner ||
			    strcmp(stf_meta_str(ru, r->member), name))
				continue;
			const char *via = stf_meta_str(ru, r->via);
			size_t q = 0;
			while (q < n && strcmp(names[q], via))
				q++;
			if (q == n)
				names[n++] = via;
		}
	}
	return n;
}

/* Member `name` of struct type t of unit u, NULL if none. */
static const struct stf_member_rec *member_named(const struct stf_meta_unit *u, uint32_t t,
						 const char *name)
{
	t = strip(u, t);
	if (t >= u->ntypes || T(u, t)->kind != STF_K_STRUCT)
		return NULL;
	for (uint32_t i = 0; i < T(u, t)->nmembers; i++) {
		const struct stf_member_rec *r = &u->members[T(u, t)->members + i];
		if (r->name && !r->bit_size && !strcmp(stf_meta_str(u, r->name), name))
			return r;
	}
	return NULL;
}

/* The width of an integer member: 1, 2, 4 or 8, else 0. */
static uint64_t int_width(const struct stf_meta_unit *u, const struct stf_member_rec *r)
{
	uint32_t t = strip(u, r->type);
	if (t >= u->ntypes || (T(u, t)->kind != STF_K_INT && T(u, t)->kind != STF_K_ENUM))
		return 0;
	uint64_t w = T(u, t)->size;
	return w == 1 || w == 2 || w == 4 || w == 8 ? w : 0;
}

/* Does leaf g (of a layout) stand for the same struct member as f? */
static int same_member(const struct stf_leaf *f, const struct stf_leaf *g)
{
	const struct stf_type_rec *fo = T(f->unit, f->owner), *go = T(g->unit, g->owner);
	if (!g->member || g->kind != STF_LEAF_PTR ||
	    strcmp(stf_meta_str(f->unit, f->unit->members[f->member - 1].name),
		   stf_meta_str(g->unit, g->unit->members[g->member - 1].name)))
		return 0;
	return fo->name && go->name ? !strcmp(stf_meta_str(f->unit, fo->name),
					      stf_meta_str(g->unit, go->name)) :
				      fo->hash == go->hash;
}

/* The leaf of dl standing for the nth leaf like f, NULL if none. */
static const struct stf_leaf *nth_like(const struct stf_layout *dl, const struct stf_leaf *f,
				       size_t nth)
{
	for (size_t k = 0; k < dl->n; k++)
		if (same_member(f, &dl->leaves[k]) && nth-- == 0)
			return &dl->leaves[k];
	return NULL;
}

/* Of the integer members next to a `void *` member that the code
 * multiplies into an index of its array (the element size and, in the
 * same product, the count), the one holding the size of the array's old
 * element type is the element size: it gets the new one.  None or
 * several holding it: the update cannot tell, refused. */
struct stride_cand {
	const struct stf_member_rec *sm, *dm; /* in the source, destination struct */
	uint64_t sw, dw;                      /* their widths */
};

static int fix_stride(struct stf_xfer *x, const struct stf_obj *o, const uint8_t *src,
		      uint8_t *dimg, const struct stride_cand *c, size_t nc,
		      const struct stf_obj *t, uint64_t old, uint64_t new)
{
	const struct stride_cand *size = NULL;
	char on[256], tn[256], sn[256], names[256] = "";
	size_t len = 0;
	int all_zero = 1;
	for (size_t k = 0; k < nc; k++) {
		uint64_t v = 0;
		memcpy(&v, src + c[k].sm->offset, c[k].sw); /* little-endian */
		all_zero &= !v;
		if (len < sizeof(names))
			len += snprintf(names + len, sizeof(names) - len, "%s%s = %" PRIu64,
					k ? ", " : "", stf_meta_str(o->unit, c[k].sm->name), v);
		if (v == old) {
			if (size)
				size = c + nc; /* several */
			else
				size = &c[k];
		}
	}
	if (all_zero)
		return 0; /* not set up yet */
	if (!size || size == c + nc) {
		stf__xfail(x, "%s: the program indexes the array %s by a product of members "
		      "(%s), but %s of them holds the size of its elements (%s, %" PRIu64
		      " bytes, %" PRIu64 " in the new version): the element size cannot be "
		      "told and converted; register a callback (stf_on_object) for the object",
		      stf__obj_name(o, on, sizeof(on)), stf__obj_name(t, sn, sizeof(sn)), names,
		      size ? "more than one" : "none",
		      stf__type_str(t->unit, strip(t->unit, t->type), tn, sizeof(tn)), old, new);
		return -1;
	}
	if (size->dw < 8 && new >> (8 * size->dw)) {
		stf__xfail(x, "%s: member %s cannot hold the new element size %" PRIu64,
		      stf__obj_name(o, on, sizeof(on)), stf_meta_str(o->unit, size->sm->name), new);
		return -1;
	}
	memcpy(dimg + size->dm->offset, &new, size->dw);
	return 0;
}

int stf__fix_strides(struct stf_xfer *x)
{
	struct stf_peer *p = x->src;
	int any = 0;

	for (size_t k = 0; k < p->meta->nunits && !any; k++)
		for (uint32_t i = 0; i < p->meta->units[k].nuses && !any; i++)
			any = (p->meta->units[k].uses[i].flags & STF_USE_STRIDE) != 0;
	if (!any)
		return 0;
	for (size_t i = 0; i < p->nobjs; i++) {
		const struct stf_obj *o = &p->objs[i];
		if (!x->pair[i].scheduled || !o->unit || !o->bytes)
			continue;
		const struct stf_obj *d = &x->dst->objs[x->pair[i].dst];
		const struct stf_layout *l = stf__layout(x->layouts, o->unit, o->type);
		const struct stf_layout *dl = d->unit ? stf__layout(x->layouts, d->unit, d->type) :
					      NULL;
		if (!l || (d->unit && !dl)) {
			stf__xfail(x, "out of memory");
			return -1;
		}
		if (!dl || !l->nptrs || !l->size || !dl->size)
			continue;
		uint64_t count = (stf__is_dynamic(o) && o->size >= l->size) ? o->size / l->size : 1;
		for (size_t k = 0; k < l->n; k++) {
			const struct stf_leaf *f = &l->leaves[k], *df;
			if (f->kind != STF_LEAF_PTR || !f->member)
				continue;
			const char *name = stf_meta_str(f->unit, f->unit->members[f->member - 1].name);
			const char *names[4];
			size_t nn = stride_members(p->meta, T(f->unit, f->owner)->hash, name, names, 4);
			size_t nth = 0;
			for (size_t q = 0; nn && q < k; q++)
				nth += same_member(f, &l->leaves[q]);
			if (!nn || !(df = nth_like(dl, f, nth)))
				continue;
			struct stride_cand c[4];
			size_t nc = 0;
			for (size_t q = 0; q < nn; q++) {
				c[nc].sm = member_named(f->unit, f->owner, names[q]);
				c[nc].dm = member_named(df->unit, df->owner, names[q]);
				c[nc].sw = c[nc].sm ? int_width(f->unit, c[nc].sm) : 0;
				c[nc].dw = c[nc].dm ? int_width(df->unit, c[nc].dm) : 0;
				if (c[nc].sw && c[nc].dw)
					nc++;
			}
			if (!nc)
				continue;
			uint64_t sbase = f->off - f->unit->members[f->member - 1].offset;
			uint64_t dbase = df->off - df->unit->members[df->member - 1].offset;
			for (uint64_t e = 0; e < count; e++) {
				uint64_t v;
				if (e * l->size + f->off + 8 > o->size)
					break; /* a block shorter than its struct */
				memcpy(&v, o->bytes + e * l->size + f->off, 8);
				const struct stf_range *r = v ? stf__index_find(&p->index, v, 0) : NULL;
				if (!r)
					continue;
				const struct stf_obj *t = &p->objs[r->value];
				int64_t tj = x->pair[r->value].dst;
				if (t->addr != v || !t->unit || tj < 0 || !x->dst->objs[tj].unit)
					continue;
				const struct stf_obj *dt = &x->dst->objs[tj];
				uint64_t old = T(t->unit, strip(t->unit, t->type))->size;
				uint64_t new = T(dt->unit, strip(dt->unit, dt->type))->size;
				if (old != new &&
				    fix_stride(x, o, o->bytes + e * l->size + sbase,
					       x->img[x->pair[i].dst] + e * dl->size + dbase, c, nc, t,
					       old, new) < 0)
					return -1;
			}
		}
	}
	return 0;
}
