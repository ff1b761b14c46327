/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * index.h - sorted-range index: address -> object and offset.
 *
 * INTERNAL.  Used by the transfer engine for both peers of a transfer and
 * by the allocation tracker for stf_lookup().  Ranges are added in any
 * order, sorted once, then searched by binary search.  The index allocates
 * with raw mmap system calls (never malloc), so it is usable from inside
 * the malloc family and its memory is never part of the program's state.
 */
#ifndef STF_INDEX_H
#define STF_INDEX_H

#include <stddef.h>
#include <stdint.h>

struct stf_range {
	uint64_t start;
	uint64_t size;
	uint64_t value; /* caller's payload: object number, slot, pointer */
};

struct stf_index {
	struct stf_range *ranges;
	size_t n;
	size_t cap;   /* ranges allocated */
	int sorted;   /* set by stf__index_sort, cleared by stf__index_add */
	/* built by stf__index_sort (see index.c): the ranges in clusters far
	 * apart from each other (heap, statics, libraries, stack), each with
	 * a table from address bucket to its ranges */
	struct stf_index_cluster *clusters;
	size_t nclusters;
	size_t largest;      /* the cluster with the most ranges (the heap's) */
	void *tables;        /* one mapping: the clusters and their buckets */
	size_t tables_bytes;
};

#define STF_INDEX_INIT { NULL, 0, 0, 0, NULL, 0, 0, NULL, 0 }

/* Flags of stf__index_find. */
#define STF_INDEX_END 0x1u /* also match one past the end of a range (and a
                              zero-sized range starting at addr) when no
                              range contains addr */

/* Append a range; 0, or -1 with errno = ENOMEM. */
int stf__index_add(struct stf_index *ix, uint64_t start, uint64_t size,
		   uint64_t value);
/* Reserve room for at least n ranges in total; 0 or -1 (ENOMEM). */
int stf__index_reserve(struct stf_index *ix, size_t n);
/* Sort by address.  0, or -1 if two ranges overlap: *a and *b (if not NULL)
 * then point to the two overlapping ranges.  The index is usable either way. */
int stf__index_sort(struct stf_index *ix, const struct stf_range **a,
		    const struct stf_range **b);
/* The range containing addr (see STF_INDEX_END), NULL if none.  The index
 * must be sorted.  O(1) for ranges spread evenly within each cluster,
 * O(log n) at worst. */
const struct stf_range *stf__index_find(const struct stf_index *ix,
					uint64_t addr, unsigned flags);
/* stf__index_find, first trying *hint and the range after it (lookups
 * of pointers in address order: a list's next node lies after the last
 * one found), the same answer; *hint (NULL at first) is updated. */
const struct stf_range *stf__index_find_near(const struct stf_index *ix, uint64_t addr,
					     unsigned flags, const struct stf_range **hint);
/* Prefetch for lookups to come, of the 8-byte words of bytes[0, size)
 * (at most its first STF_PREFETCH_BYTES): a loop over objects calls it
 * for an object a few ahead of the one it looks at, so that the lookups'
 * cache misses overlap instead of coming one after another (a heap's
 * pointers, in random address order, each miss a bucket entry and a
 * range).  STF_PREFETCH_BUCKETS starts loading the words' bucket
 * entries; STF_PREFETCH_RANGES, called later for the same words (their
 * entries loaded by then), the ranges those name.  Only a hint: the
 * answers do not change, and words outside the largest cluster (the
 * heap's) are left alone. */
#define STF_PREFETCH_BUCKETS 0
#define STF_PREFETCH_RANGES 1
#define STF_PREFETCH_BYTES 256
void stf__index_prefetch(const struct stf_index *ix, const void *bytes, uint64_t size,
			 int stage);
/* Forget all ranges, keep the memory. */
void stf__index_reset(struct stf_index *ix);
/* Release the memory; the index is empty (STF_INDEX_INIT) afterwards.
 * The largest array released is kept for the next index (stf__index_trim). */
void stf__index_free(struct stf_index *ix);
/* Touch room for n ranges now, kept for the next index (a process
 * waiting for its part of a transfer takes the fresh pages' cost out of
 * it); give back the kept array. */
void stf__index_prepare(size_t n);
void stf__index_trim(void);

#endif /* STF_INDEX_H */
