/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * flex-pages.c - blocks the program carves into objects itself, typed by
 * inference as one struct whose flexible array covers the other objects.
 *
 * memcached's slab page: memory_allocate() hands out a 1 MiB block of an
 * allocation site without a type, and slabs_alloc() (no STF_ALLOCATOR)
 * carves it into items.  A typed `item *` holds the page's start (a hash
 * bucket to its first item), so infer-types.c types the whole page as one
 * struct _stritem, whose flexible `data[]` (elements without pointers)
 * fits any size: the other items are that array's bytes, and their links
 * (next, prev, h_next) are addresses no type describes.  Moved, the page
 * would keep them pointing into the old version's memory (memcached
 * 1.6.45 crashed so after its second chained update).
 *
 * No size tells such a page from one struct with a long trailing array
 * (a record and its key in one block), but addresses in the array do: a
 * block typed by inference whose flexible array holds a word that points
 * into the old version's objects or image is carved.  It is treated like
 * an untyped block with a typed head (heads.c): it keeps its address
 * (pinned), its first struct is converted as its type says, and the words
 * of its flexible array are classified like an untyped block's
 * (untyped.c): a word into another untyped block is kept (that block keeps
 * its address too), into a typed heap object pins that object, into the
 * executable is relocated, into a library goes to the same place.  So the
 * links between the pages' objects stay right, whichever pages they join.
 * Not typing such a block at all would lose its first object's type: its
 * typed pointers would pin their targets instead of following them, and
 * the pages those lead to would no longer be typed either.
 *
 * The objects after the first cannot follow a change of their struct (no
 * type says where they are): a carved block whose struct changes in the
 * new version rolls the update back, naming it and the fix (STF_ALLOCATOR
 * on the function handing the objects out, so that each gets its type).
 * A block without addresses in its flexible array (a record and its text)
 * is converted as one struct, except that a typed pointer to a struct
 * inside its flexible array (another object carved out of it, its links
 * all null) also rolls back a change of that struct.
 *
 * A block its site typed (`struct arena { size_t used, cap; char mem[];
 * }`) whose array of bytes the program carves into objects by hand, with
 * no allocator function, is bytes there: a typed pointer to a struct that
 * changes, into those bytes, rolls the update back too (before, the
 * update committed and the new version read its objects with the old
 * layout).
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "diff-values.h"
#include "engine.h"
#include "remote.h"
#include "untyped.h"

/* Whether o is a block typed by inference (its site gave no type) as one
 * struct whose flexible array, of elements without pointers, o reaches
 * into: 1 with the array's offset in *from.  0 also without memory for the
 * element's layout (the transform fails on it later). */
static int flex_part(struct stf_xfer *x, const struct stf_obj *o, uint64_t *from)
{
	uint32_t se;
	if (!o->inferred || !o->unit || !stf__is_dynamic(o) ||
	    !stf__flex_tail(o->unit, strip(o->unit, o->type), &se, from) || o->size <= *from)
		return 0;
	const struct stf_layout *el = stf__layout(x->layouts, o->unit, se);
	return el && !el->nptrs;
}

void stf__plan_carved(struct stf_xfer *x, size_t *work, size_t *nwork)
{
	const struct stf_peer *p = x->src;
	char what[512];
	for (size_t i = 0; i < p->nobjs; i++) {
		const struct stf_obj *o = &p->objs[i];
		uint64_t from, at, v;
		if ((x->unreached && x->unreached[i]) || !o->bytes || !flex_part(x, o, &from) ||
		    !stf__find_raw_pointer(x, o, from, o->size, &at, &v, what, sizeof(what)))
			continue;
		x->pair[i].carved = 1;
		if (!x->pair[i].pinned) {
			x->pair[i].pinned = 1;
			stf__pin_note(x, i, i, at);
		}
		/* the words before the first address hold none */
		struct range_memo memo = { 0 };
		struct word_bounds wb = stf__word_bounds();
		for (uint64_t off = at; off + 8 <= o->size; off += 8) {
			memcpy(&v, o->bytes + off, 8);
			if (v - wb.floor < wb.span)
				stf__plan_word_memo(x, &memo, v, i, off, work, nwork);
		}
	}
}

int stf__carved_changes(struct stf_xfer *x, size_t i, const struct stf_obj *d)
{
	const struct stf_obj *o = &x->src->objs[i];
	if (!x->pair[i].carved)
		return 0;
	uint32_t st = strip(o->unit, o->type), dt = d->unit ? strip(d->unit, d->type) : STF_NONE;
	if (d->unit && dt < d->unit->ntypes && d->size == o->size && T(o->unit, st)->hash == T(d->unit, dt)->hash &&
	    T(o->unit, st)->size == T(d->unit, dt)->size)
		return 0;
	char on[256], tn[256], what[512];
	uint64_t from, at = 0, v = 0;
	*what = 0;
	if (flex_part(x, o, &from))
		stf__find_raw_pointer(x, o, from, o->size, &at, &v, what, sizeof(what));
	stf__xfail(x, "%s: untyped block (%" PRIu64 " bytes) typed as one %s by a pointer to its "
	      "start, whose flexible array holds addresses (offset %" PRIu64 ": 0x%" PRIx64 ", "
	      "into %s): objects carved out of it by the program, kept at its address; %s "
	      "changes in the %s version, and the objects after the first cannot follow (no "
	      "type says where they are); declare the function handing them out (memcached's "
	      "slabs_alloc) STF_ALLOCATOR so that each gets its type, or keep the struct as it is",
	      stf__obj_name(o, on, sizeof(on)), o->size,
	      stf__type_str(o->unit, st, tn, sizeof(tn)), at, v, what, tn,
	      x->dir == STF_FORWARD ? "new" : "old");
	return -1;
}

int stf__xfer_carved(struct stf_xfer *x, size_t i, const uint8_t *s, uint8_t *d)
{
	const struct stf_obj *o = &x->src->objs[i], *dobj = &x->dst->objs[x->pair[i].dst];
	uint64_t from;
	/* its struct is the same in the destination (stf__carved_changes):
	 * the flexible array starts at the same offset */
	if (!flex_part(x, o, &from)) {
		stf__xfail(x, "out of memory");
		return -1;
	}
	if (stf__xform(x, o->unit, strip(o->unit, o->type), s, dobj->unit,
		       strip(dobj->unit, dobj->type), d, 0) < 0)
		return -1;
	memcpy(d + from, s + from, o->size - from);
	return stf__classify_words(x, i, s, d, from, o->size);
}

int stf__carved_interior(struct stf_xfer *x, const struct pointee *pe, const struct stf_obj *so,
			 uint64_t off)
{
	uint64_t from;
	uint32_t se;
	if (!pe || !pe->unit || !flex_part(x, so, &from) || off < from)
		return 0;
	uint32_t pt = strip(pe->unit, pe->type);
	if (pt >= pe->unit->ntypes)
		return 0;
	const struct stf_type_rec *P = T(pe->unit, pt);
	stf__flex_tail(so->unit, strip(so->unit, so->type), &se, &from);
	/* an element of the array itself (a struct point * into `struct
	 * point pts[]`) is one */
	if ((P->kind != STF_K_STRUCT && P->kind != STF_K_UNION) || (P->flags & STF_TF_INCOMPLETE) ||
	    P->hash == T(so->unit, se)->hash)
		return 0;
	char on[256], tn[256], bn[256];
	stf__xfail(x, "%s: points to %s at offset %" PRIu64 " of %s, inside the flexible array "
	      "of the one %s that untyped block was typed as by a pointer to its start: an object "
	      "carved out of the block by the program, which cannot follow the change of %s in "
	      "the %s version (no type says where it is); declare the function handing such "
	      "objects out STF_ALLOCATOR so that each gets its type",
	      stf__cur_path(x), stf__type_str(pe->unit, pt, tn, sizeof(tn)), off,
	      stf__obj_name(so, on, sizeof(on)),
	      stf__type_str(so->unit, strip(so->unit, so->type), bn, sizeof(bn)), bn,
	      x->dir == STF_FORWARD ? "new" : "old");
	return -1;
}

int stf__carved_bytes(struct stf_xfer *x, const struct pointee *pe, const struct stf_obj *so,
		      uint64_t off)
{
	if (!pe || !pe->unit || !so->unit || !stf__is_dynamic(so))
		return 0;
	uint32_t ht = strip(so->unit, so->type), at, pt = strip(pe->unit, pe->type);
	uint64_t from;
	if (ht >= so->unit->ntypes || T(so->unit, ht)->kind != STF_K_STRUCT || pt >= pe->unit->ntypes)
		return 0;
	uint64_t esz = T(so->unit, ht)->size;
	if (stf__flex_tail(so->unit, ht, &at, &from) && off >= from) {
		/* in the flexible array */
	} else {
		if (esz && off >= esz)
			off %= esz; /* an element of an array of the struct */
		at = stf__scalar_at(so->unit, ht, off, &from);
	}
	if (at == STF_NONE || (at = strip(so->unit, at)) >= so->unit->ntypes ||
	    T(so->unit, at)->kind != STF_K_INT || !(T(so->unit, at)->flags & STF_TF_CHAR))
		return 0;
	const struct stf_type_rec *P = T(pe->unit, pt);
	char tn[256], on[256], hn[256];
	/* a struct the host's type has there (the host itself, whose first
	 * member is text) is converted with it */
	if ((P->kind != STF_K_STRUCT && P->kind != STF_K_UNION) || (P->flags & STF_TF_INCOMPLETE) ||
	    stf__hash_at(so->unit, ht, off, P->hash, 0) ||
	    !stf__struct_changes(x, pe->unit, pt, tn, sizeof(tn)))
		return 0;
	stf__xfail(x, "%s: points to %s at offset %" PRIu64 " of %s, inside an array of bytes of "
	      "its %s: an object carved out of the block by the program, copied as the bytes it "
	      "is, which cannot follow the change of %s in the %s version (no type says where "
	      "it is); hand such objects out with a function declared STF_ALLOCATOR so that "
	      "each gets its type, or keep the struct as it is",
	      stf__cur_path(x), tn, off, stf__obj_name(so, on, sizeof(on)),
	      stf__type_str(so->unit, ht, hn, sizeof(hn)), tn,
	      x->dir == STF_FORWARD ? "new" : "old");
	return -1;
}
