/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * index.c - sorted-range index (see index.h).
 *
 * Memory comes from raw mmap/mremap system calls and sorting is done in
 * place without qsort (glibc's qsort may call malloc), so the index can be
 * rebuilt from inside the malloc family.
 *
 * Lookups: a transfer looks up every pointer of the state, and a binary
 * search over a million ranges costs a handful of cache misses each.  The
 * sorted ranges are cut into clusters where they are far apart (the heap,
 * the statics, each library, the stack); each cluster has a table from
 * address bucket to the ranges starting in it, with buckets about as
 * large as the cluster's average distance between ranges, so a lookup
 * reads a bucket entry and about one range.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "index.h"
#ifdef HAVE_VALGRIND_MEMCHECK_H
#include <valgrind/memcheck.h>
#endif

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

#define HUGE_PAGE ((size_t)2 << 20)

/* A mapping of len bytes (map_size'd).  A large one is advised onto
 * huge pages: a transfer's lookups of pointers in random address order
 * (a real server's heap, whose blocks its traffic made in no order of
 * their links) each read a bucket entry and a range far from the last
 * ones, and on 4 KiB pages each read also missed the TLB, a page walk
 * that costs several cache misses more on the virtual machines we run
 * on (the bench's redis case: last_starting was ~13% of the update's
 * CPU).  Huge pages also fault 512 times less often. */
static void *raw_map(size_t len)
{
	long p = syscall(SYS_mmap, NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p < 0 && p > -4096)
		return NULL;
	if (len >= HUGE_PAGE)
		(void)madvise((void *)p, len, MADV_HUGEPAGE);
	return (void *)p;
}

static size_t page_up(size_t n)
{
	return (n + 4095) & ~(size_t)4095;
}

/* The bytes to map for n: whole pages, whole huge pages from one on (the
 * kernel aligns an anonymous mapping of whole huge pages to them). */
static size_t map_size(size_t n)
{
	n = page_up(n);
	return n >= HUGE_PAGE ? (n + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1) : n;
}

/* The largest ranges array freed (or prepared) since the last trim, for
 * the next index: a transfer builds an index of a million ranges per
 * catalog, and fresh pages cost far more than rewriting touched ones
 * (F's catalog of itself takes the pages of its catalog of the past).
 * Its first word holds its size.  No lock: the index is used inside the
 * malloc family and across fork. */
static void *kept;

/* Keep the array p of bytes (page-rounded) if it is the largest, else
 * unmap it. */
static void keep(void *p, size_t bytes)
{
	*(size_t *)p = bytes;
	while (p) {
		void *old = __atomic_exchange_n(&kept, p, __ATOMIC_ACQ_REL);
		if (!old)
			return;
		if (*(size_t *)old <= *(size_t *)p) {
			syscall(SYS_munmap, old, *(size_t *)old);
			return;
		}
		/* the one kept was larger: it goes back; what it displaces
		 * (p, unless another thread kept one meanwhile) goes, unless
		 * larger still */
		void *back = __atomic_exchange_n(&kept, old, __ATOMIC_ACQ_REL);
		if (!back)
			return;
		if (*(size_t *)back <= *(size_t *)old) {
			syscall(SYS_munmap, back, *(size_t *)back);
			return;
		}
		p = back;
	}
}

/* The kept array if it holds at least bytes (its size in *got), else
 * NULL. */
static void *take_kept(size_t bytes, size_t *got)
{
	void *p = __atomic_exchange_n(&kept, NULL, __ATOMIC_ACQ_REL);
	if (p && *(size_t *)p < bytes) {
		keep(p, *(size_t *)p);
		p = NULL;
	}
	if (p)
		*got = *(size_t *)p;
	return p;
}

void stf__index_prepare(size_t n)
{
	size_t bytes = map_size(n * sizeof(struct stf_range)), got;
	void *p = take_kept(bytes, &got);
	if (!p) {
		p = raw_map(bytes);
		if (!p)
			return;
		/* only a hint: without it the pages fault one by one */
		(void)madvise(p, bytes, MADV_POPULATE_WRITE);
		got = bytes;
	}
	keep(p, got);
}

void stf__index_trim(void)
{
	void *p = __atomic_exchange_n(&kept, NULL, __ATOMIC_ACQ_REL);
	if (p)
		syscall(SYS_munmap, p, *(size_t *)p);
}

int stf__index_reserve(struct stf_index *ix, size_t n)
{
	size_t cap, bytes;
	void *p;

	if (n <= ix->cap)
		return 0;
	cap = ix->cap ? ix->cap : 256;
	while (cap < n)
		cap *= 2;
	bytes = map_size(cap * sizeof(struct stf_range));
	cap = bytes / sizeof(struct stf_range);
	if (ix->ranges) {
		long r = syscall(SYS_mremap, ix->ranges,
				 ix->cap * sizeof(struct stf_range), bytes,
				 MREMAP_MAYMOVE);
		if (r < 0 && r > -4096) {
			errno = ENOMEM;
			return -1;
		}
		p = (void *)r;
		/* grown from a small array, which raw_map did not advise */
		if (bytes >= HUGE_PAGE)
			(void)madvise(p, bytes, MADV_HUGEPAGE);
	} else {
		size_t got;
		p = take_kept(bytes, &got);
		if (p) {
			cap = got / sizeof(struct stf_range);
		} else {
			p = raw_map(bytes);
			if (!p) {
				errno = ENOMEM;
				return -1;
			}
		}
	}
	ix->ranges = p;
	ix->cap = cap;
	return 0;
}

int stf__index_add(struct stf_index *ix, uint64_t start, uint64_t size,
		   uint64_t value)
{
	if (ix->n == ix->cap && stf__index_reserve(ix, ix->n + 1) < 0)
		return -1;
	ix->ranges[ix->n].start = start;
	ix->ranges[ix->n].size = size;
	ix->ranges[ix->n].value = value;
	ix->n++;
	ix->sorted = 0;
	ix->nclusters = 0;
	return 0;
}

/* Order by start; at equal starts a zero-sized range first, so the last
 * range starting at or below an address is the one that may contain it. */
static int range_less(const struct stf_range *a, const struct stf_range *b)
{
	return a->start < b->start || (a->start == b->start && a->size < b->size);
}

static void swap(struct stf_range *a, struct stf_range *b)
{
	struct stf_range t = *a;
	*a = *b;
	*b = t;
}

static void insertion_sort(struct stf_range *r, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct stf_range v = r[i];
		size_t j = i;
		while (j > 0 && range_less(&v, &r[j - 1])) {
			r[j] = r[j - 1];
			j--;
		}
		r[j] = v;
	}
}

static void sift_down(struct stf_range *r, size_t root, size_t n)
{
	for (;;) {
		size_t child = 2 * root + 1;
		if (child >= n)
			return;
		if (child + 1 < n && range_less(&r[child], &r[child + 1]))
			child++;
		if (!range_less(&r[root], &r[child]))
			return;
		swap(&r[root], &r[child]);
		root = child;
	}
}

static void heap_sort(struct stf_range *r, size_t n)
{
	for (size_t i = n / 2; i-- > 0;)
		sift_down(r, i, n);
	for (size_t end = n; end-- > 1;) {
		swap(&r[0], &r[end]);
		sift_down(r, 0, end);
	}
}

/* Introsort: quicksort with median of three, heapsort past a depth limit
 * (no quadratic worst case), insertion sort for small partitions.  The
 * smaller partition is sorted recursively, so the depth stays O(log n). */
static void intro_sort(struct stf_range *r, size_t n, unsigned depth)
{
	while (n > 16) {
		if (depth-- == 0) {
			heap_sort(r, n);
			return;
		}
		size_t mid = n / 2;
		if (range_less(&r[mid], &r[0]))
			swap(&r[mid], &r[0]);
		if (range_less(&r[n - 1], &r[0]))
			swap(&r[n - 1], &r[0]);
		if (range_less(&r[n - 1], &r[mid]))
			swap(&r[n - 1], &r[mid]);
		struct stf_range pivot = r[mid];
		size_t i = 0, j = n - 1;
		for (;;) {
			while (range_less(&r[i], &pivot))
				i++;
			while (range_less(&pivot, &r[j]))
				j--;
			if (i >= j)
				break;
			swap(&r[i], &r[j]);
			i++;
			j--;
		}
		/* [0, j] <= pivot <= [j + 1, n) */
		size_t left = j + 1;
		if (left < n - left) {
			intro_sort(r, left, depth);
			r += left;
			n -= left;
		} else {
			intro_sort(r + left, n - left, depth);
			n = left;
		}
	}
	insertion_sort(r, n);
}

static unsigned sort_depth(size_t n)
{
	unsigned depth = 0;
	for (; n; n >>= 1)
		depth += 2;
	return depth;
}

/* Sort r[0, n) when most of it is in order already (a catalog adds the
 * heap's blocks by address, after the statics that lie elsewhere): the
 * longest sorted run stays, the few other ranges are sorted apart and
 * merged in, instead of a million ranges sorted anew.  -1 (nothing
 * done) when the other ranges are too many for that. */
static int sort_around_run(struct stf_range *r, size_t n)
{
	size_t best = 0, best_len = 0;
	for (size_t s = 0; s < n;) {
		size_t e = s + 1;
		while (e < n && !range_less(&r[e], &r[e - 1]))
			e++;
		if (e - s > best_len) {
			best = s;
			best_len = e - s;
		}
		s = e;
	}
	size_t rest = n - best_len, bytes = rest * sizeof(*r);
	if (rest > n / 8)
		return -1;
	struct stf_range *t = raw_map(bytes);
	if (!t)
		return -1;
	memcpy(t, r, best * sizeof(*r));
	memcpy(t + best, r + best + best_len, (rest - best) * sizeof(*r));
	intro_sort(t, rest, sort_depth(rest));
	memmove(r, r + best, best_len * sizeof(*r));
	/* from the end: the run, now at the start, is never overwritten
	 * before it is read */
	size_t i = best_len, j = rest, k = n;
	while (j > 0) {
		if (i > 0 && range_less(&t[j - 1], &r[i - 1]))
			r[--k] = r[--i];
		else
			r[--k] = t[--j];
	}
	syscall(SYS_munmap, t, bytes);
	return 0;
}

/* A gap this large between ranges starts a new cluster. */
#define CLUSTER_GAP (1u << 20)

struct stf_index_cluster {
	uint64_t base;     /* start of its first range */
	size_t first, n;   /* its ranges: ranges[first .. first + n) */
	unsigned shift;    /* bucket of addr: (addr - base) >> shift */
	size_t nbuckets;
	uint32_t *bucket;  /* nbuckets + 1 entries: bucket[b] is the first of
	                      its ranges (from first) starting in bucket b or
	                      later; bucket[nbuckets] = n */
};

/* Visit the clusters of the sorted ranges: fn(arg, first, n) each. */
static void each_cluster(const struct stf_index *ix,
			 void (*fn)(void *arg, size_t first, size_t n), void *arg)
{
	size_t first = 0;
	uint64_t end = 0;
	for (size_t i = 0; i < ix->n; i++) {
		const struct stf_range *r = &ix->ranges[i];
		if (i > first && r->start > end && r->start - end > CLUSTER_GAP) {
			fn(arg, first, i - first);
			first = i;
		}
		if (i == first || r->start + r->size > end)
			end = r->start + r->size;
	}
	if (ix->n)
		fn(arg, first, ix->n - first);
}

/* Buckets no larger than needed for about one range each: at most n + 1. */
static unsigned cluster_shift(const struct stf_index *ix, size_t first, size_t n)
{
	uint64_t span = ix->ranges[first + n - 1].start - ix->ranges[first].start;
	unsigned shift = 0;
	while (shift < 63 && (span >> shift) >= n)
		shift++;
	return shift;
}

struct table_size {
	const struct stf_index *ix;
	size_t nclusters, nbuckets;
};

static void count_cluster(void *arg, size_t first, size_t n)
{
	struct table_size *ts = arg;
	uint64_t span = ts->ix->ranges[first + n - 1].start - ts->ix->ranges[first].start;
	ts->nclusters++;
	ts->nbuckets += (span >> cluster_shift(ts->ix, first, n)) + 2;
}

struct table_fill {
	struct stf_index *ix;
	uint32_t *next; /* bucket entries not yet used */
};

static void fill_cluster(void *arg, size_t first, size_t n)
{
	struct table_fill *tf = arg;
	struct stf_index *ix = tf->ix;
	struct stf_index_cluster *c = &ix->clusters[ix->nclusters++];
	const struct stf_range *r = ix->ranges + first;

	if (n > ix->clusters[ix->largest].n)
		ix->largest = ix->nclusters - 1;

	c->base = r[0].start;
	c->first = first;
	c->n = n;
	c->shift = cluster_shift(ix, first, n);
	c->nbuckets = ((r[n - 1].start - c->base) >> c->shift) + 1;
	c->bucket = tf->next;
	tf->next += c->nbuckets + 1;
	size_t k = 0;
	for (size_t b = 0; b <= c->nbuckets; b++) {
		while (k < n && ((r[k].start - c->base) >> c->shift) < b)
			k++;
		c->bucket[b] = (uint32_t)k;
	}
}

/* Build the clusters and their tables; without them (no memory, or too
 * many ranges for 32-bit entries) lookups bisect the whole array. */
static void build_tables(struct stf_index *ix)
{
	struct table_size ts = { ix, 0, 0 };
	ix->nclusters = 0;
	if (!ix->n || ix->n >= UINT32_MAX)
		return;
	each_cluster(ix, count_cluster, &ts);
	size_t bytes = ts.nclusters * sizeof(struct stf_index_cluster) +
		       ts.nbuckets * sizeof(uint32_t);
	if (bytes > ix->tables_bytes) {
		bytes = map_size(bytes);
		void *t = raw_map(bytes);
		if (!t)
			return;
		if (ix->tables)
			syscall(SYS_munmap, ix->tables, ix->tables_bytes);
		ix->tables = t;
		ix->tables_bytes = bytes;
	}
	ix->clusters = ix->tables;
	struct table_fill tf = { ix, (uint32_t *)(ix->clusters + ts.nclusters) };
	ix->largest = 0;
	ix->clusters[0].n = 0;
	each_cluster(ix, fill_cluster, &tf);
}

int stf__index_sort(struct stf_index *ix, const struct stf_range **a,
		    const struct stf_range **b)
{
	size_t i;

	for (i = 1; i < ix->n; i++)
		if (range_less(&ix->ranges[i], &ix->ranges[i - 1]))
			break;
	if (i < ix->n && sort_around_run(ix->ranges, ix->n) < 0)
		intro_sort(ix->ranges, ix->n, sort_depth(ix->n));
	ix->sorted = 1;
	build_tables(ix);
	for (i = 1; i < ix->n; i++) {
		const struct stf_range *p = &ix->ranges[i - 1], *q = &ix->ranges[i];
		if (p->start + p->size > q->start) {
			if (a)
				*a = p;
			if (b)
				*b = q;
			return -1;
		}
	}
	return 0;
}

/* The first of ranges[lo, hi) starting above addr (hi if none). */
static size_t upper_bound(const struct stf_range *r, size_t lo, size_t hi, uint64_t addr)
{
	while (hi - lo > 8) {
		size_t mid = lo + (hi - lo) / 2;
		if (r[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	while (lo < hi && r[lo].start <= addr)
		lo++;
	return lo;
}

/* One past the last range starting at or below addr: the only range
 * that may contain it is the one before (0: none). */
static size_t last_starting(const struct stf_index *ix, uint64_t addr)
{
	if (ix->sorted && ix->nclusters) {
		/* the last cluster starting at or below addr: most pointers
		 * point into the largest (the heap), tried first */
		size_t lo = 0, hi = ix->nclusters, big = ix->largest;
		if (addr >= ix->clusters[big].base &&
		    (big + 1 == hi || addr < ix->clusters[big + 1].base))
			lo = hi = big + 1;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (ix->clusters[mid].base <= addr)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo == 0)
			return 0;
		const struct stf_index_cluster *c = &ix->clusters[lo - 1];
		uint64_t b = (addr - c->base) >> c->shift;
		if (b >= c->nbuckets)
			return c->first + c->n;
		return upper_bound(ix->ranges, c->first + c->bucket[b], c->first + c->bucket[b + 1],
				   addr);
	}
	return upper_bound(ix->ranges, 0, ix->n, addr);
}

void stf__index_prefetch(const struct stf_index *ix, const void *bytes, uint64_t size,
			 int stage)
{
	if (!ix->sorted || !ix->nclusters || !bytes)
		return;
#ifdef HAVE_VALGRIND_MEMCHECK_H
	/* a hint read from words the program may never have written (the
	 * unused part of regcomp's arrays): under memcheck each would be
	 * an error, so no hint there */
	if (RUNNING_ON_VALGRIND)
		return;
#endif
	const struct stf_index_cluster *c = &ix->clusters[ix->largest];
	const uint8_t *w = bytes;
	if (size > STF_PREFETCH_BYTES)
		size = STF_PREFETCH_BYTES;
	for (uint64_t off = 0; off + 8 <= size; off += 8) {
		uint64_t v;
		memcpy(&v, w + off, 8);
		uint64_t b = (v - c->base) >> c->shift; /* below base: huge */
		if (b >= c->nbuckets)
			continue;
		if (stage == STF_PREFETCH_BUCKETS)
			__builtin_prefetch(&c->bucket[b]);
		else
			__builtin_prefetch(&ix->ranges[c->first + c->bucket[b]]);
	}
}

/* The answer for addr when r is the last range starting at or below it. */
static const struct stf_range *answer(const struct stf_range *r, uint64_t addr, unsigned flags)
{
	if (addr - r->start < r->size)
		return r;
	if ((flags & STF_INDEX_END) && addr - r->start == r->size)
		return r;
	return NULL;
}

const struct stf_range *stf__index_find(const struct stf_index *ix,
					uint64_t addr, unsigned flags)
{
	size_t last = last_starting(ix, addr);
	return last ? answer(&ix->ranges[last - 1], addr, flags) : NULL;
}

/* Is r the last range starting at or below addr? */
static int last_at(const struct stf_index *ix, const struct stf_range *r, uint64_t addr)
{
	return r >= ix->ranges && r < ix->ranges + ix->n && r->start <= addr &&
	       (r + 1 == ix->ranges + ix->n || r[1].start > addr);
}

const struct stf_range *stf__index_find_near(const struct stf_index *ix, uint64_t addr,
					     unsigned flags, const struct stf_range **hint)
{
	const struct stf_range *h = *hint;
	if (!ix->sorted || !h || (!last_at(ix, h, addr) && !last_at(ix, ++h, addr))) {
		size_t last = last_starting(ix, addr);
		if (!last)
			return NULL;
		h = &ix->ranges[last - 1];
	}
	*hint = h;
	return answer(h, addr, flags);
}

void stf__index_reset(struct stf_index *ix)
{
	ix->n = 0;
	ix->nclusters = 0;
	ix->sorted = 0;
}

void stf__index_free(struct stf_index *ix)
{
	if (ix->ranges)
		keep(ix->ranges, page_up(ix->cap * sizeof(struct stf_range)));
	if (ix->tables)
		syscall(SYS_munmap, ix->tables, ix->tables_bytes);
	ix->ranges = NULL;
	ix->n = ix->cap = 0;
	ix->clusters = NULL;
	ix->nclusters = 0;
	ix->tables = NULL;
	ix->tables_bytes = 0;
	ix->sorted = 0;
}
