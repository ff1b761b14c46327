/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * index.c - sorted-range index (see index.h).
 *
 * Memory comes from raw mmap/mremap system calls and sorting is done in
 * place without qsort (glibc's qsort may call malloc), so the index can be
 * rebuilt from inside the malloc family.
 */
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "index.h"

static void *raw_map(size_t len)
{
	long p = syscall(SYS_mmap, NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p < 0 && p > -4096)
		return NULL;
	return (void *)p;
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
	bytes = cap * sizeof(struct stf_range);
	if (ix->ranges) {
		long r = syscall(SYS_mremap, ix->ranges,
				 ix->cap * sizeof(struct stf_range), bytes,
				 MREMAP_MAYMOVE);
		if (r < 0 && r > -4096) {
			errno = ENOMEM;
			return -1;
		}
		p = (void *)r;
	} else {
		p = raw_map(bytes);
		if (!p) {
			errno = ENOMEM;
			return -1;
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
	ix->ntop = 0;
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

int stf__index_sort(struct stf_index *ix, const struct stf_range **a,
		    const struct stf_range **b)
{
	size_t i;
	unsigned depth = 0;

	for (i = 1; i < ix->n; i++)
		if (range_less(&ix->ranges[i], &ix->ranges[i - 1]))
			break;
	if (i < ix->n) {
		for (size_t n = ix->n; n; n >>= 1)
			depth += 2;
		intro_sort(ix->ranges, ix->n, depth);
	}
	ix->sorted = 1;
	ix->ntop = 0;
	size_t ntop = (ix->n + STF_INDEX_STRIDE - 1) / STF_INDEX_STRIDE;
	if (ntop > ix->topcap) {
		size_t cap = ntop < 512 ? 512 : 2 * ntop;
		uint64_t *t = raw_map(cap * sizeof(*t));
		if (t) {
			if (ix->top)
				syscall(SYS_munmap, ix->top, ix->topcap * sizeof(*ix->top));
			ix->top = t;
			ix->topcap = cap;
		}
	}
	if (ntop <= ix->topcap) {
		for (size_t k = 0; k < ntop; k++)
			ix->top[k] = ix->ranges[k * STF_INDEX_STRIDE].start;
		ix->ntop = ntop;
	}
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

const struct stf_range *stf__index_find(const struct stf_index *ix,
					uint64_t addr, unsigned flags)
{
	size_t lo = 0, hi = ix->n;
	const struct stf_range *r;

	if (ix->sorted && ix->ntop) {
		/* the block holding the last range starting at or below addr */
		size_t tlo = 0, thi = ix->ntop;
		while (tlo < thi) {
			size_t mid = tlo + (thi - tlo) / 2;
			if (ix->top[mid] <= addr)
				tlo = mid + 1;
			else
				thi = mid;
		}
		if (tlo == 0)
			return NULL;
		lo = (tlo - 1) * STF_INDEX_STRIDE;
		hi = tlo * STF_INDEX_STRIDE < ix->n ? tlo * STF_INDEX_STRIDE : ix->n;
	}
	/* first range starting above addr */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ix->ranges[mid].start <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	r = &ix->ranges[lo - 1];
	if (addr - r->start < r->size)
		return r;
	if ((flags & STF_INDEX_END) && addr - r->start == r->size)
		return r;
	return NULL;
}

void stf__index_reset(struct stf_index *ix)
{
	ix->n = 0;
	ix->ntop = 0;
	ix->sorted = 0;
}

void stf__index_free(struct stf_index *ix)
{
	if (ix->ranges)
		syscall(SYS_munmap, ix->ranges, ix->cap * sizeof(struct stf_range));
	if (ix->top)
		syscall(SYS_munmap, ix->top, ix->topcap * sizeof(*ix->top));
	ix->ranges = NULL;
	ix->n = ix->cap = 0;
	ix->top = NULL;
	ix->ntop = ix->topcap = 0;
	ix->sorted = 0;
}
