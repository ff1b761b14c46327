/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * blocks.c - what the allocator knows of the live heap block holding an
 * address, and the changes the transfer and the sub-object registry make
 * to a block's metadata (alloc.h: stf__heap_block, stf__heap_mark_subs,
 * stf__heap_type_block, stf__heap_set_id); blocks of the region by their
 * span's metadata (spans.h), placed blocks by placement.c.
 */
#include <stdatomic.h>

#include "alloc.h"
#include "heap.h"
#include "spans.h"

/* The span of the live block of the region holding address a, and its
 * metadata entry *j (spans.h: meta_*); NULL if none. */
static struct span_st *meta_of(uintptr_t a, uint32_t *j, uint64_t *start, uint64_t *size)
{
	struct span_st *s = span_of(a);
	if (!s)
		return NULL;
	if (s->kind == STF_SPAN_CONT)
		s -= s->cap;
	*start = (uintptr_t)s->base;
	*j = 0;
	if (s->kind == STF_SPAN_SMALL) {
		*j = obj_index(s, a);
		if (*j >= s->bump)
			return NULL;
		/* a free object's address may be inside a wide block before it */
		for (uint32_t i = 1; !meta_live(s, *j) && i < WIDE_MAX && i <= *j; i++)
			if (meta_live(s, *j - i)) {
				if (meta_wide(s, *j - i))
					*j -= i;
				break;
			}
		*start += (size_t)*j * s->obj_size;
	} else if (s->kind != STF_SPAN_LARGE) {
		return NULL;
	}
	if (!meta_live(s, *j))
		return NULL;
	*size = meta_size(s, *j);
	return a - *start < *size || a == *start ? s : NULL;
}

/* What the metadata entry j of span s says of its block. */
static struct stf_block_info info_of(const struct span_st *s, uint32_t j, uint64_t start,
				     uint64_t size)
{
	uint32_t word = meta_word(s, j);
	return (struct stf_block_info){ start, size, meta_id(s, j), STF_META_SITE(word),
		STF_META_ALIGN(word), (word & STF_META_SUBS) != 0 };
}

EXPORT int stf__heap_block(const void *p, struct stf_block_info *out)
{
	uint64_t start, size;
	uint32_t j;
	const struct span_st *s = meta_of((uintptr_t)p, &j, &start, &size);
	if (s) {
		*out = info_of(s, j, start, size);
		return 1;
	}
	struct stf_slot placed;
	if (!stf__placed_get((uintptr_t)p, &placed))
		return 0;
	*out = (struct stf_block_info){ (uintptr_t)p, placed.size, placed.id, placed.site,
		STF_SLOT_ALIGN(placed.kind), false };
	return 1;
}

void stf__heap_mark_subs(uint64_t addr)
{
	uint64_t start, size;
	uint32_t j;
	struct span_st *s = meta_of(addr, &j, &start, &size);
	/* a pool's chunk has the flag after its first object: no atomic
	 * operation for the next ones */
	if (s)
		meta_mark_subs(s, j);
}

int stf__heap_type_block(void *p, uint64_t size, uint32_t site, struct stf_block_info *holder)
{
	uint64_t start, bsize;
	uint32_t j;
	struct span_st *s = meta_of((uintptr_t)p, &j, &start, &bsize);
	holder->size = 0;
	if (s) {
		if (start != (uintptr_t)p || (size && size != bsize)) {
			/* holder->subs: marked before this sub-object */
			*holder = info_of(s, j, start, bsize);
			/* a sub-object (of a known size: registered): its
			 * block's free or move will look for it, marked here
			 * where the block is at hand */
			if (size)
				meta_mark_subs(s, j);
			return 0;
		}
		meta_set_word(s, j, (meta_word(s, j) & ~0xffffffu) | site);
		return 1;
	}
	return stf__placed_retype((uintptr_t)p, size, site);
}

int stf__heap_set_id(void *p, uint64_t id)
{
	uint64_t start, size;
	uint32_t j;
	struct span_st *s = meta_of((uintptr_t)p, &j, &start, &size);
	if (!s || start != (uintptr_t)p || !id)
		return 0;
	if (!meta_holds_id(s, id))
		return 0;
	uint64_t cur = atomic_load((_Atomic uint64_t *)&stf__root.next_id);
	if (id >= cur)
		stf__alloc_bump_id(id + 1);
	meta_set(s, j, id, meta_word(s, j), size);
	return 1;
}
