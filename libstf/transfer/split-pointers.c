/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * split-pointers.c - a pointer stored across two pointer slots.
 *
 * A packed struct holding a pointer after a 4-byte member, memcpy'd into
 * an object's `void *` slots (t/idioms/genkv's small values), puts the
 * pointer at bytes 4-11: across two slots, neither of which holds it.
 * Each slot's value is then a piece of an address: an integer (the high
 * half, below mmap_min_addr) or a value that points nowhere (above it),
 * kept as it is.  When the object the pointer names moves, the kept
 * pieces still name its old place and the update would commit wrong
 * (t/xfer/huntb23-packref).  So a typed pointer or `void *` slot whose
 * value is kept that way has the 8 bytes at each offset 1 to 7 across it
 * and the slot before and after it (in the same object) read: one that is
 * the start of a heap object moving in this update rolls the update back.
 * Only such slots are looked at (not raw bytes), a candidate outside the
 * source's address ranges is dismissed before any lookup, and only the
 * exact start of a moving block counts, so that bytes that merely look
 * like an address do not roll back an update.
 */
#include <inttypes.h>
#include <string.h>

#include "engine.h"
#include "index.h"

/* The heap object starting exactly at w that moves in this update, or
 * NULL. */
static const struct stf_obj *moving_start(struct stf_xfer *x, uint64_t w)
{
	const struct stf_index *ix = &x->src->index;
	if (stf__not_a_pointer(w) || !ix->n || w < ix->ranges[0].start ||
	    w >= ix->ranges[ix->n - 1].start + ix->ranges[ix->n - 1].size)
		return NULL;
	const struct stf_range *r = stf__index_find(ix, w, 0);
	if (!r)
		return NULL;
	const struct stf_obj *o = &x->src->objs[r->value];
	const struct pairing *p = &x->pair[r->value];
	if (o->addr != w || !stf__is_dynamic(o) || p->dst < 0 || p->dst_addr == o->addr)
		return NULL;
	return o;
}

int stf__split_pointer_check(struct stf_xfer *x, uint64_t v)
{
	const uint8_t *slot = x->slot, *base = x->obj_bytes;
	uint64_t held;

	if (!slot || !base || x->obj_bytes_of != x->obj || slot < base ||
	    (uint64_t)(slot - base) + 8 > x->obj->size)
		return 0;
	memcpy(&held, slot, 8);
	if (held != v) /* not the slot's own value (a container's head) */
		return 0;
	uint64_t at = (uint64_t)(slot - base);
	/* the 16 bytes of this slot and the one before it, then of this
	 * slot and the one after it */
	for (int after = 0; after < 2; after++) {
		uint64_t from = after ? at : at - 8;
		if ((!after && at < 8) || (after && at + 16 > x->obj->size))
			continue;
		for (unsigned k = 1; k < 8; k++) {
			uint64_t w;
			memcpy(&w, base + from + k, 8);
			const struct stf_obj *o = moving_start(x, w);
			if (!o)
				continue;
			char on[256], tn[256];
			stf__xfail(x, "%s: holds 0x%" PRIx64 ", kept as it is (an integer or a "
			      "value that points nowhere), but the 8 "
			      "bytes at offset %" PRIu64 " of %s (across this pointer slot and "
			      "the %s one) are 0x%" PRIx64 ", the address of %s, which moves in "
			      "this update: a pointer stored unaligned across two slots (a "
			      "packed struct memcpy'd there) would keep naming its old place; "
			      "keep such a struct's pointers aligned to 8, or give the slots a "
			      "type", stf__cur_path(x), v, from + k,
			      stf__obj_name(x->obj, on, sizeof(on)), after ? "next" : "previous",
			      w, stf__obj_name(o, tn, sizeof(tn)));
			return -1;
		}
	}
	return 0;
}
