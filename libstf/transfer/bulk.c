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
 * instead of copying them.  Freed mappings are kept for the next arrays
 * of the same process (the backward transfer's catalog takes the forward
 * transfer's pages, already touched) until stf__bulk_trim at the end of
 * the process's last transfer.  Small arrays stay on libstf's raw
 * allocator.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "alloc.h"
#include "remote.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

static size_t page_round4k(size_t n)
{
	return (n + 4095) & ~(size_t)4095;
}

/* Bytes of fresh pages populated so far (STF_XFER_PROFILE prints them). */
static uint64_t fresh_bytes;

uint64_t stf__bulk_fresh(void)
{
	return __atomic_load_n(&fresh_bytes, __ATOMIC_RELAXED);
}

void stf__bulk_populate(void *p, size_t n)
{
	/* only a hint: without it the pages fault one by one */
	(void)madvise(p, n, MADV_POPULATE_WRITE);
	__atomic_fetch_add(&fresh_bytes, n, __ATOMIC_RELAXED);
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

/* Mappings freed since the last trim, for reuse (locked: the parts of a
 * parallel loop allocate their own arenas, see parallel.c). */
#define CACHE_MAX 32
static struct {
	void *at;
	size_t n;
} cache[CACHE_MAX];
static size_t ncache;
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

/* The smallest kept mapping of at least n bytes, NULL if none.  A far
 * larger one stays for a later large array: an arena's chunk, or a small
 * array outgrowing raw malloc, that took the catalog's 24 MB left the
 * pairing table to fresh pages. */
static void *cache_take(size_t n, size_t *got)
{
	void *p = NULL;
	pthread_mutex_lock(&cache_lock);
	size_t best = ncache;
	for (size_t k = 0; k < ncache; k++)
		if (cache[k].n >= n && cache[k].n - n <= (n > 2 * HUGE ? n : 2 * HUGE) &&
		    (best == ncache || cache[k].n < cache[best].n))
			best = k;
	if (best < ncache) {
		p = cache[best].at;
		*got = cache[best].n;
		cache[best] = cache[--ncache];
	}
	pthread_mutex_unlock(&cache_lock);
	return p;
}

/* Keep the mapping at of n bytes for reuse: 0, or -1 if the cache is full. */
static int cache_put(void *at, size_t n)
{
	int rc = -1;
	pthread_mutex_lock(&cache_lock);
	if (ncache < CACHE_MAX) {
		cache[ncache].at = at;
		cache[ncache].n = n;
		ncache++;
		rc = 0;
	}
	pthread_mutex_unlock(&cache_lock);
	return rc;
}

void stf__bulk_trim(void)
{
	pthread_mutex_lock(&cache_lock);
	while (ncache) {
		ncache--;
		stf__raw_munmap(cache[ncache].at, cache[ncache].n);
	}
	pthread_mutex_unlock(&cache_lock);
}

/* A fresh mapping of n bytes (a multiple of HUGE) at a HUGE boundary,
 * advised to use huge pages; MAP_FAILED if none. */
static void *map_aligned(size_t n)
{
	/* raw: libstf's mmap would track the mapping as program state */
	uint8_t *p = stf__raw_mmap(NULL, n + HUGE, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED || !p)
		return MAP_FAILED;
	uint8_t *a = (uint8_t *)(((uintptr_t)p + HUGE - 1) & ~(uintptr_t)(HUGE - 1));
	if (a > p)
		stf__raw_munmap(p, (size_t)(a - p));
	stf__raw_munmap(a + n, (size_t)(p + n + HUGE - (a + n)));
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
	size_t got;
	h = cache_take(need, &got);
	if (h) {
		need = got;
	} else {
		h = map_aligned(need);
		if (h == MAP_FAILED)
			return NULL;
		stf__bulk_populate(h, page_round4k(size + sizeof(*h)));
	}
	h->mapped = need;
	h->size = size;
	return h + 1;
}

void *stf__bulk_alloc_most(size_t size, size_t *usable)
{
	void *p = stf__bulk_alloc(size);
	if (p) {
		struct bulk_hdr *h = (struct bulk_hdr *)p - 1;
		/* a kept mapping was touched whole; a fresh one was populated
		 * in huge pages (where the system has them) */
		if (h->mapped)
			h->size = h->mapped - sizeof(*h);
		*usable = h->size;
	}
	return p;
}

void *stf__bulk_realloc_kept(void *p, size_t size)
{
	struct bulk_hdr *h = p ? (struct bulk_hdr *)p - 1 : NULL, *n;
	size_t need = size + sizeof(*n), got;

	if (need < size || need < BULK_MIN)
		return NULL;
	/* the block takes its mapping whole, as stf__bulk_room reports it:
	 * the catalog fills it up to there (metadata.c's reserve_kept), and
	 * stf__bulk_realloc moving it copies only size bytes */
	if (h && h->mapped >= need) {
		h->size = h->mapped - sizeof(*h);
		return p;
	}
	n = cache_take(huge_round(need), &got);
	if (!n)
		return NULL;
	if (h) {
		memcpy(n + 1, p, h->size);
		stf__bulk_free(p);
	}
	n->mapped = got;
	n->size = got - sizeof(*n);
	return n + 1;
}

size_t stf__bulk_room(const void *p)
{
	const struct bulk_hdr *h = (const struct bulk_hdr *)p - 1;
	return h->mapped ? h->mapped - sizeof(*h) : h->size;
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
	size_t got;
	n = cache_take(need, &got);
	if (n) {
		/* pages touched already: copying is cheaper than fresh ones */
		memcpy(n + 1, p, h->size);
		n->mapped = got;
		n->size = size;
		stf__bulk_free(p);
		return n + 1;
	}
	n = map_aligned(need);
	if (n == MAP_FAILED)
		return NULL;
	/* the old pages move to the start of the new mapping, uncopied */
	if (syscall(SYS_mremap, h, old, old, MREMAP_MAYMOVE | MREMAP_FIXED, n) == -1) {
		stf__raw_munmap(n, need);
		return NULL;
	}
	stf__bulk_populate((uint8_t *)n + old, page_round4k(size + sizeof(*n)) - old);
	n->mapped = need;
	n->size = size;
	return n + 1;
}

void stf__bulk_prepare(size_t size)
{
	size_t need = huge_round(size + sizeof(struct bulk_hdr)), got;
	if (size + sizeof(struct bulk_hdr) < BULK_MIN)
		return;
	void *p = cache_take(need, &got);
	if (!p) {
		p = map_aligned(need);
		if (p == MAP_FAILED)
			return;
		stf__bulk_populate(p, need);
		got = need;
	}
	if (cache_put(p, got) < 0)
		stf__raw_munmap(p, got);
}

void stf__bulk_free(void *p)
{
	struct bulk_hdr *h;

	if (!p)
		return;
	h = (struct bulk_hdr *)p - 1;
	if (!h->mapped)
		stf__raw_free(h);
	else if (cache_put(h, h->mapped) < 0)
		stf__raw_munmap(h, h->mapped);
}
