/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * reloc-container.c - a pointer to a struct that points where no struct
 * of its type is: the cursor of a finished list walk.
 * list_for_each_entry(pos, head, member) ends with pos = container_of(head,
 * T, member), the list head minus the member's offset: an address before
 * the head, in a static or heap object holding the head (a server's list
 * of connections), in the object or symbol before it, or where none is.
 * Relocated as an address of its own it would keep the old member offset
 * (or point into an unrelated symbol or object); it is relocated through
 * the head it was computed from, with the new version's offset of the
 * member.
 */
#include <inttypes.h>
#include <string.h>

#include "engine.h"
#include "xfer.h"

/* The destination's offset of the member of source struct (su, st) at
 * offset off named name: 0 with *doff, -1 (failed) when it is gone. */
static int dst_member_off(struct stf_xfer *x, const struct pointee *pe, uint32_t st,
			  const char *name, uint64_t off, uint64_t *doff)
{
	const struct stf_meta_unit *du = pe->dunit;
	uint32_t dt = pe->dtype;
	char tn[256];

	stf__type_str(pe->unit, st, tn, sizeof(tn));
	if (!du && stf_meta_find_type(x->dst->meta, tn, &du, &dt) < 0) {
		*doff = off; /* no struct of that name: the pointer's type stays */
		return 0;
	}
	if (stf__member_named(du, strip(du, dt), stf__member_dst_name(x, pe->unit, st, name),
			      doff))
		return 0;
	stf__xfail(x, "%s: points %" PRIu64 " bytes before a list head, the cursor of a "
		   "finished walk over %s (container_of its member %s), but the new version's "
		   "%s has no member %s; register a callback", stf__cur_path(x), off, tn, name,
		   tn, name);
	return -1;
}

int stf__not_its_struct(struct stf_xfer *x, const struct stf_range *r, uint64_t v,
			const struct pointee *pe)
{
	const struct stf_meta_unit *u = pe->unit;
	const struct stf_obj *o = &x->src->objs[r->value];
	uint32_t t;

	if (!u || v - r->start >= r->size || (t = strip(u, pe->type)) >= u->ntypes ||
	    T(u, t)->kind != STF_K_STRUCT)
		return 0;
	if (T(u, t)->size > r->start + r->size - v)
		return 1; /* overruns its object: an untyped one's too */
	if (!o->unit)
		return 0;
	uint32_t ot = strip(o->unit, o->type);
	uint64_t esz = ot < o->unit->ntypes ? T(o->unit, ot)->size : 0;
	if (o->unit == u && ot == t && esz && (v - o->addr) % esz == 0)
		return 0; /* an object (or element) of its type: most pointers */
	const char *tag = stf_meta_str(u, T(u, t)->name);
	return *tag && !stf__obj_named_at(o, v - o->addr, STF_K_STRUCT, tag);
}

/* Can member m of a struct be the head a cursor was computed from: a
 * named struct member past the struct's start? */
static int head_member(const struct stf_meta_unit *su, const struct stf_member_rec *m)
{
	uint32_t mt = strip(su, m->type);
	return !m->bit_size && m->offset > 0 && *stf_meta_str(su, m->name) && mt < su->ntypes &&
	       T(su, mt)->kind == STF_K_STRUCT;
}

/* The struct pe points to, if stf__reloc_container may find a head
 * through such a pointer. */
static const struct stf_type_rec *container_type(const struct pointee *pe)
{
	const struct stf_meta_unit *su = pe ? pe->unit : NULL;
	uint32_t st;
	if (!su || (st = strip(su, pe->type)) >= su->ntypes || T(su, st)->kind != STF_K_STRUCT)
		return NULL;
	return T(su, st);
}

int stf__container_heads(const struct pointee *pe)
{
	const struct stf_type_rec *S = container_type(pe);
	for (uint32_t i = 0; S && i < S->nmembers; i++)
		if (head_member(pe->unit, &pe->unit->members[S->members + i]))
			return 1;
	return 0;
}

int stf__reloc_container(struct stf_xfer *x, uint64_t v, uint64_t *out, const struct pointee *pe)
{
	const struct stf_type_rec *S = container_type(pe);
	if (!S)
		return 1;
	const struct stf_meta_unit *su = pe->unit;
	uint32_t st = strip(su, pe->type);
	for (uint32_t i = 0; i < S->nmembers; i++) {
		const struct stf_member_rec *m = &su->members[S->members + i];
		uint32_t mt = strip(su, m->type);
		const char *name = stf_meta_str(su, m->name);
		if (!head_member(su, m))
			continue;
		uint64_t head = v + (uint64_t)m->offset, dhead, doff;
		const struct stf_range *r = stf__index_find(&x->src->index, head, 0);
		if (!r)
			continue;
		const struct stf_obj *o = &x->src->objs[r->value];
		if (!o->unit || !stf__obj_named_at(o, head - o->addr, STF_K_STRUCT,
						   stf_meta_str(su, T(su, mt)->name)))
			continue;
		struct pointee hpe = { su, m->type, NULL, 0 };
		if (dst_member_off(x, pe, st, name, (uint64_t)m->offset, &doff) < 0 ||
		    stf__reloc(x, head, &dhead, &hpe) < 0)
			return -1;
		*out = dhead - doff;
		return 0;
	}
	return 1;
}
