/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sized-blocks.c - untyped blocks that are probably a struct whose layout
 * changes: refused rather than copied as bytes.
 *
 * A block from a program's allocation site of no type (`void *ctx =
 * malloc(sizeof(struct conn))`) that no record types (its only pointer in
 * a library's memory, read back through `event_get_callback_arg`, or
 * handed to a callback of another unit through a registration the plugin
 * cannot follow) is copied as bytes at its address; when it is a struct
 * that grows, the new version reads past its end.  The evidence that it
 * is one, strong enough that a char buffer of a coincidental size is not
 * refused: its size is exactly the old sizeof of a struct of the program
 * whose layout changes, the program reads some `void *` value as that
 * struct (the plugin's STF_USE_CAST records: `struct conn *c = arg`), and
 * every data pointer member of the struct holds, in the block, null or
 * the address of a known object (text in those words is no struct).
 * Then the update rolls back naming the site, the struct and the fix.
 */
#include <inttypes.h>
#include <string.h>

#include "engine.h"
#include "remote.h"
#include "xfer.h"

/* A struct the old version's code reads `void *` values as. */
struct cast_type {
	const struct stf_meta_unit *unit;
	uint32_t type;
};

/* The program's structs of STF_USE_CAST records whose layout changes in
 * the destination (or that it no longer has), one per struct: how many,
 * in out[] (at most max). */
static size_t changed_casts(const struct stf_meta *m, const struct stf_meta *dst,
			    struct cast_type *out, size_t max)
{
	size_t n = 0;
	char name[256];

	for (size_t k = 0; k < m->nunits; k++) {
		const struct stf_meta_unit *u = &m->units[k];
		for (uint32_t i = 0; i < u->nuses && n < max; i++) {
			const struct stf_use_rec *r = &u->uses[i];
			if (!(r->flags & STF_USE_CAST))
				continue;
			uint32_t t = stf_meta_strip_typedefs(u, r->used);
			const struct stf_type_rec *tr = &u->types[t];
			if (tr->kind != STF_K_STRUCT || (tr->flags & STF_TF_SYSTEM) || !tr->size ||
			    !stf__struct_changed(u, t, dst, name, sizeof(name)))
				continue;
			size_t j = 0;
			while (j < n && out[j].unit->types[out[j].type].hash != tr->hash)
				j++;
			if (j == n)
				out[n++] = (struct cast_type){ u, t };
		}
	}
	return n;
}

/* Whether every data pointer member of the struct holds, in the block,
 * null or an address of a known object. */
static int pointers_plausible(struct stf_xfer *x, const struct stf_obj *o,
			      const struct stf_layout *l)
{
	for (size_t k = 0; k < l->n; k++) {
		const struct stf_leaf *f = &l->leaves[k];
		uint64_t v;
		if (f->kind != STF_LEAF_PTR || f->off + 8 > o->size)
			continue;
		if (f->type != STF_NONE && f->type < f->unit->ntypes &&
		    f->unit->types[stf_meta_strip_typedefs(f->unit, f->type)].kind ==
			    STF_K_FUNCTION)
			continue; /* code, not in the index */
		memcpy(&v, o->bytes + f->off, 8);
		if (v && !stf__index_find(&x->src->index, v, 0))
			return 0;
	}
	return 1;
}

int stf__check_sized_blocks(struct stf_xfer *x)
{
	struct stf_peer *p = x->src;
	struct cast_type casts[64];
	char on[256], tn[256];

	if (x->dir != STF_FORWARD || !x->dst || !x->dst->meta)
		return 0;
	size_t ncasts = changed_casts(p->meta, x->dst->meta, casts, 64);
	for (size_t i = 0; i < p->nobjs && ncasts; i++) {
		const struct stf_obj *o = &p->objs[i];
		if (o->kind != STF_OBJ_HEAP || o->unit || !o->bytes || !o->id ||
		    (o->flags & (STF_OBJF_INTERNAL | STF_OBJF_EXTERNAL | STF_OBJF_OWN |
				 STF_OBJF_STREAM | STF_OBJF_CONTAINER)))
			continue;
		for (size_t c = 0; c < ncasts; c++) {
			const struct stf_type_rec *tr = &casts[c].unit->types[casts[c].type];
			if (tr->size != o->size)
				continue;
			const struct stf_layout *l = stf__layout(x->layouts, casts[c].unit,
								 casts[c].type);
			if (!l) {
				stf__xfail(x, "out of memory");
				return -1;
			}
			if (!pointers_plausible(x, o, l))
				continue;
			stf__type_str(casts[c].unit, casts[c].type, tn, sizeof(tn));
			stf__xfail(x, "the untyped block %s (%" PRIu64 " bytes, from an "
				   "allocation site of no type) has the size of %s, which the "
				   "program reads `void *` values as and whose layout changed in "
				   "the new version; if it is one, its bytes would be copied as "
				   "they are and read with the new layout: give the allocation "
				   "its type (`%s *p = malloc(sizeof *p)`), or hand the value to "
				   "a function of the same unit that casts it (a callback), or "
				   "register a callback (stf_on_object) for the block",
				   stf__obj_name(o, on, sizeof(on)), o->size, tn, tn);
			return -1;
		}
	}
	return 0;
}
