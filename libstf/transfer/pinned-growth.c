/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pinned-growth.c - a heap object kept at its address (pinned: its
 * address is a key, addr-keys.c, or an untyped word points into it,
 * untyped-plan.c) whose type grows past its block keeps its address with
 * a block of the new size.
 *
 * The destination's heap is fresh and ttst places such blocks itself
 * (stf__alloc_at, placement.c: any size, in 16-byte granules, on pages
 * adopted at the old addresses; freed, reallocated and published for the
 * next update like any other block).  The bytes after the old block
 * belonged to other blocks of the source: those are allocated anywhere
 * in the destination, as every block that does not keep its address is
 * (the pointers to them are relocated), so the grown block takes their
 * place.  Only a block that keeps its address too (pinned, an untyped
 * block kept at its address, a mapping, or lying in one of those) holds
 * bytes the grown block cannot have: the update then rolls back naming
 * both.  The way back needs nothing of this: the reversed version's
 * block is the smaller old one at the same address.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "engine.h"
#include "remote.h"

#define GRANULE 16u

/* End of the 16-byte granules a block of `size` bytes at addr occupies
 * (as placement.c counts them). */
static uint64_t granules_end(uint64_t addr, uint64_t size)
{
	return addr + ((size ? size : 1) + GRANULE - 1) / GRANULE * GRANULE;
}

/* Does source object j keep its address in the destination?  Why into
 * why[len] if it does. */
static int keeps_address(struct stf_xfer *x, size_t j, char *why, size_t len)
{
	const struct stf_obj *o = &x->src->objs[j];
	const struct pairing *p = &x->pair[j];
	char on[256];
	size_t from;
	uint64_t at;
	if (x->unreached && x->unreached[j])
		return 0; /* dropped */
	if (p->pinned == STF_PIN_KEY) {
		char what[512];
		stf__addr_key_why(x, j, what, sizeof(what), NULL, 0);
		snprintf(why, len, "its address is a key: %s", what);
	} else if (p->pinned == 1 && stf__pin_origin(x, j, &from, &at)) {
		snprintf(why, len, "offset %" PRIu64 " of untyped block %s points into it", at,
			 stf__obj_name(&x->src->objs[from], on, sizeof(on)));
	} else if (p->pinned) {
		snprintf(why, len, "pinned");
	} else if (p->placed) {
		snprintf(why, len, "an untyped block, kept at its address");
	} else if (o->kind == STF_OBJ_MMAP) {
		snprintf(why, len, "a mapping, kept at its address");
	} else if (o->container && keeps_address(x, o->container - 1, why, len)) {
		snprintf(why, len, "it lies in %s, which keeps its address",
			 stf__obj_name(&x->src->objs[o->container - 1], on, sizeof(on)));
	} else {
		return 0;
	}
	return 1;
}

/* Object i, growing to new_size bytes, would take bytes of source
 * object j, which keeps its address for the reason `held`: the problem,
 * naming both. */
static void held_by(struct stf_xfer *x, size_t i, uint64_t new_size, size_t j, const char *held)
{
	const struct stf_obj *o = &x->src->objs[i], *n = &x->src->objs[j];
	char on[256], nn[256], why[768], fix[512];
	if (x->pair[i].pinned == STF_PIN_KEY) {
		char what[512], key_fix[448];
		stf__addr_key_why(x, i, what, sizeof(what), key_fix, sizeof(key_fix));
		snprintf(why, sizeof(why), "its address is a key: %s", what);
		snprintf(fix, sizeof(fix), "keep the type's size, or %s", key_fix);
	} else {
		keeps_address(x, i, why, sizeof(why));
		snprintf(fix, sizeof(fix), "keep the type's size, or give the block holding the "
			 "pointer a type (STF_ALLOCATOR on its allocator)");
	}
	stf__xfail(x, "%s grows from %" PRIu64 " to %" PRIu64 " bytes in the %s version and keeps "
	      "its address 0x%" PRIx64 " there (%s), but %s, at 0x%" PRIx64 " in the bytes it "
	      "grows over, keeps its address too (%s); %s",
	      stf__obj_name(o, on, sizeof(on)), o->size, new_size,
	      x->dir == STF_FORWARD ? "new" : "reversed", o->addr, why,
	      stf__obj_name(n, nn, sizeof(nn)), n->addr,
	      strcmp(why, held) ? held : "for the same reason", fix);
}

int stf__pinned_growth(struct stf_xfer *x, size_t i, uint64_t new_size)
{
	const struct stf_obj *o = &x->src->objs[i];
	uint64_t lo = granules_end(o->addr, o->size), hi = granules_end(o->addr, new_size);
	char held[768];
	if (hi <= lo)
		return 0;
	/* the granules it grows over, a block at a time */
	for (uint64_t a = lo; a < hi;) {
		const struct stf_range *r = stf__index_find(&x->src->index, a, 0);
		if (!r) {
			a += GRANULE;
			continue;
		}
		size_t j = (size_t)r->value;
		if (j != i && keeps_address(x, j, held, sizeof(held))) {
			held_by(x, i, new_size, j, held);
			return -1;
		}
		uint64_t end = granules_end(r->start, r->size);
		a = end > a ? end : a + GRANULE;
	}
	return 1;
}
