/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sub-shadow.h - the shadow map of sub-objects noted without a call into
 * the registry (libstf internal; see sub-shadow.c): a byte per 8 bytes of
 * the heap region holding the code of the (site, size) an STF_ALLOCATOR
 * call handed out there, folded into the registry where it is read.
 */
#ifndef STF_SUB_SHADOW_H
#define STF_SUB_SHADOW_H

#include <stdbool.h>
#include <stdint.h>

/* A granule's byte: 0 nothing noted; 1..SHADOW_CODES a code; SHADOW_SLOW
 * the object there (if any) is in a thread's log or the registry: its
 * notes and frees take the slow path. */
#define SHADOW_CODES 254u
#define SHADOW_SLOW  255u
#define SHADOW_SHIFT 3       /* 8-byte granules */
/* sizes[c] of a code whose objects are sized by their wrapper's header
 * (stf__sub_note_sized): a size-prefixing STF_ALLOCATOR's variable sizes,
 * read at the fold from the header the plugin found (STF_SF_SIZE_HEADER
 * on the block's site).  Objects of 1 to SHADOW_HEADER_MAX bytes. */
#define SHADOW_HEADER_SIZE UINT32_MAX
#define SHADOW_HEADER_MAX  1024u

/* What the noting fast paths read (exported: code the plugin emits may
 * read it too).  units == NULL until the first STF_ALLOCATOR call of a
 * known size; then map covers [lo, lo + bytes). */
struct stf_shadow {
	uintptr_t lo, bytes;
	uint8_t *map;       /* a byte per granule */
	uint8_t *units;     /* a byte per 64 KiB unit: a granule there was written */
	uint8_t *codes;     /* by global site number: its code, 0 none */
	/* bytes >> SHADOW_SHIFT: the inline code's (p - lo) rotated right
	 * by 3 is below it only for p on a granule of the map */
	uintptr_t granules;
	/* by code: the size noted and the site; sizes[SHADOW_SLOW], the
	 * codes of a site without one, is 0 and matches no size */
	uint32_t sizes[256];
	uint32_t sites[256];
	uint32_t max_size;  /* the largest of sizes */
};
extern struct stf_shadow stf__shadow;

/* Whether the map exists (one load: a program that never noted
 * anything pays no more at a block's free). */
static inline bool stf__shadow_on(void)
{
	return __builtin_expect(__atomic_load_n(&stf__shadow.units, __ATOMIC_RELAXED) != 0, 0);
}

/* Whether an object was noted in the 64 KiB unit of the heap region
 * holding byte heap_off of it (free's fast path: two loads). */
static inline bool stf__shadow_unit_marked(uint64_t heap_off)
{
	const uint8_t *units = __atomic_load_n(&stf__shadow.units, __ATOMIC_RELAXED);
	return __builtin_expect(units != 0, 0) && units[heap_off >> 16];
}

/* The block of size bytes at heap_off of the heap region (whose start is
 * the map's), freed in a unit holding notes, is cleared as
 * stf__shadow_clear clears a block (free's fast path: a word at a time). */
void stf__shadow_clear_granules(uint64_t heap_off, uint64_t size);

/* The block [p, p + room) of the heap region (all the room it had, not
 * only the bytes asked for: a pool may carve those too) is freed, moved
 * or reallocated: its granules are cleared (the objects noted inside die
 * with it), after stf__shadow_on. */
void stf__shadow_clear(uintptr_t p, uint64_t room);

/* The object of size bytes at addr is kept in a log or the registry
 * (SHADOW_SLOW; the map is reserved then if it is not yet): the notes of
 * the older objects it overlaps are cleared (its ID, drawn now, is lower
 * than the one theirs would be drawn at the fold), those of whole heap
 * blocks (a pool's own block) after typing the block by their site.
 * stf__shadow_unslow: no longer (its granule cleared). */
void stf__shadow_slow(uint64_t addr, uint64_t size);
void stf__shadow_unslow(uint64_t addr);

/* The byte of the granule at addr, NULL without a map, outside it, or
 * not at a granule's start. */
static inline uint8_t *stf__shadow_granule(uint64_t addr)
{
	if (!__atomic_load_n(&stf__shadow.units, __ATOMIC_ACQUIRE))
		return 0;
	uint64_t off = addr - stf__shadow.lo;
	if (off >= stf__shadow.bytes || (off & ((1u << SHADOW_SHIFT) - 1)))
		return 0;
	return &stf__shadow.map[off >> SHADOW_SHIFT];
}

/* An object noted in the map at addr: forgotten there, true.  False if
 * none (it may be in a log or the registry).  The partner free's way:
 * inline. */
static inline bool stf__shadow_cancel(uint64_t addr)
{
	uint8_t *g = stf__shadow_granule(addr);
	if (!g || !*g || *g == SHADOW_SLOW)
		return false;
	*g = 0;
	return true;
}
/* Whether an object is noted in the map at addr. */
bool stf__shadow_noted(uint64_t addr);

/* Fold the map's noted objects into the registry.  Only while no other
 * thread of the process runs: others_stopped (quiescence), or the
 * process never had another; else nothing is folded (a noting thread's
 * plain stores would race with it: an object given back during the fold
 * would stay registered). */
void stf__shadow_fold(bool others_stopped);

#endif /* STF_SUB_SHADOW_H */
