/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * bulk.c - the engine's large arrays (see remote.h): catalogs, fetched
 * state, pairing and staging tables of a million entries each.
 *
 * Why not malloc: a large malloc block is a fresh mapping whose pages
 * fault one by one on first touch, and on the virtual machines we run on
 * the first write to a fresh 4 KiB page costs 30-60 us (thousands of
 * times the cost of copying it: 32 MB take 0.3-2 s to first-touch, 2 ms
 * to rewrite).  Transparent huge pages cut that by 10-50x (one fault per
 * 2 MiB), so the arrays are 2 MiB-aligned mappings advised MADV_HUGEPAGE
 * and populated in one system call.  Growing moves the pages (mremap)
 * instead of copying them.  Small arrays stay on libstf's raw allocator.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "alloc.h"
#include "remote.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

static size_t page_round4k(size_t n)
{
	return (n + 4095) & ~(size_t)4095;
}

/* Below this, malloc's own reuse of memory wins. */
#define BULK_MIN ((size_t)256 << 10)

struct bulk_hdr {
	size_t mapped; /* bytes of the mapping, header included; 0: raw malloc */
	size_t size;   /* bytes asked for (keeps the payload 16-aligned) */
};

#define HUGE ((size_t)2 << 20)

static size_t huge_round(size_t n)
{
	return (n + HUGE - 1) & ~(HUGE - 1);
}

/* A fresh mapping of n bytes (a multiple of HUGE) at a HUGE boundary,
 * advised to use huge pages; MAP_FAILED if none. */
static void *map_aligned(size_t n)
{
	uint8_t *p = mmap(NULL, n + HUGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);
	if (p == MAP_FAILED)
		return p;
	uint8_t *a = (uint8_t *)(((uintptr_t)p + HUGE - 1) & ~(uintptr_t)(HUGE - 1));
	if (a > p)
		munmap(p, (size_t)(a - p));
	munmap(a + n, (size_t)(p + n + HUGE - (a + n)));
	/* only hints: without them the pages fault one by one */
	(void)madvise(a, n, MADV_HUGEPAGE);
	return a;
}

void *stf__bulk_alloc(size_t size)
{
	struct bulk_hdr *h;
	size_t need = size + sizeof(*h);

	if (need < size)
		return NULL;
	if (need < BULK_MIN) {
		h = stf__raw_malloc(need);
		if (!h)
			return NULL;
		h->mapped = 0;
		h->size = size;
		return h + 1;
	}
	need = huge_round(need);
	h = map_aligned(need);
	if (h == MAP_FAILED)
		return NULL;
	(void)madvise(h, page_round4k(size + sizeof(*h)), MADV_POPULATE_WRITE);
	h->mapped = need;
	h->size = size;
	return h + 1;
}

void *stf__bulk_realloc(void *p, size_t size)
{
	struct bulk_hdr *h, *n;
	size_t need = size + sizeof(*h), old;

	if (!p)
		return stf__bulk_alloc(size);
	if (need < size)
		return NULL;
	h = (struct bulk_hdr *)p - 1;
	if (!h->mapped) {
		if (need < BULK_MIN) {
			n = stf__raw_realloc(h, need);
			if (n)
				n->size = size;
			return n ? n + 1 : NULL;
		}
		void *q = stf__bulk_alloc(size);
		if (q) {
			memcpy(q, p, h->size < size ? h->size : size);
			stf__raw_free(h);
		}
		return q;
	}
	old = h->mapped;
	if (need <= old) {
		h->size = size;
		return p;
	}
	need = huge_round(need);
	n = map_aligned(need);
	if (n == MAP_FAILED)
		return NULL;
	/* the old pages move to the start of the new mapping, uncopied */
	if (mremap(h, old, old, MREMAP_MAYMOVE | MREMAP_FIXED, n) == MAP_FAILED) {
		munmap(n, need);
		return NULL;
	}
	(void)madvise((uint8_t *)n + old, page_round4k(size + sizeof(*n)) - old,
		      MADV_POPULATE_WRITE);
	n->mapped = need;
	n->size = size;
	return n + 1;
}

void stf__bulk_free(void *p)
{
	struct bulk_hdr *h;

	if (!p)
		return;
	h = (struct bulk_hdr *)p - 1;
	if (h->mapped)
		munmap(h, h->mapped);
	else
		stf__raw_free(h);
}
