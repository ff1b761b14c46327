/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * object-slots.c - the slot table (root.h): an entry per live tracked
 * object outside the heap region (mappings, registered objects, placed
 * blocks), in chunks reserved as they are needed and never moved, free
 * entries linked through their id.  Callers hold stf__slot_lock.
 */
#include <sys/mman.h>

#include "heap.h"

uint64_t stf__slot_chunks[MAX_CHUNKS];
static uint32_t slot_free_head;  /* global free list, linked via slot.id */

/* Under stf__slot_lock: one free slot index, 0 if the table is full. */
uint32_t stf__slot_take_locked(void)
{
	uint32_t i = slot_free_head;
	if (i) {
		slot_free_head = (uint32_t)slot_at(i)->id;
		return i;
	}
	uint64_t hi = stf__root.slot_high;
	uint32_t chunk = (uint32_t)(hi / STF_SLOTS_PER_CHUNK);
	if (chunk >= MAX_CHUNKS)
		return 0;
	if (!stf__slot_chunks[chunk]) {
		void *c = stf__reserve(STF_SLOTS_PER_CHUNK * sizeof(struct stf_slot));
		if (!c)
			return 0;
		/* Past the first chunk, slots come by the hundred thousand (a
		 * transfer keeping Redis's strings at their address): the
		 * chunk's pages in one call, not a fault each (5,600 in each
		 * of the new and the reversed version there) */
		if (chunk)
			(void)madvise(c, STF_SLOTS_PER_CHUNK * sizeof(struct stf_slot),
				      MADV_POPULATE_WRITE);
		stf__slot_chunks[chunk] = (uintptr_t)c;
		stf__root.nchunks = chunk + 1;
	}
	stf__root.slot_high = hi + 1;
	return (uint32_t)hi;
}

void stf__slot_put_locked(uint32_t i)
{
	slot_at(i)->id = slot_free_head;
	slot_free_head = i;
}
