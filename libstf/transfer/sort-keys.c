/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sort-keys.c - a stable sort of (key, payload) pairs in O(n) and
 * sequential memory (moved from diff.c): the differencing's dynamic IDs,
 * the addresses unreached.c resolves against the catalog.
 */
#include <string.h>

#include "remote.h"
#include "sort-keys.h"

/* An LSD radix sort, 11 bits a pass over the bits the IDs use, where a
 * heapsort of a million keys took 60-110 ms of random accesses.  Keys in
 * order already (a catalog is by address, and most programs allocate
 * upwards) are left as they are. */
#define RADIX_BITS 11
int stf__sort_keys(struct stf_key *k, size_t n)
{
	uint64_t all = 0;
	int sorted = 1;
	for (size_t i = 0; i < n; i++) {
		all |= k[i].id;
		sorted &= i == 0 || k[i - 1].id <= k[i].id;
	}
	if (sorted)
		return 0;
	struct stf_key *tmp = stf__bulk_alloc(n * sizeof(*tmp)), *from = k, *to = tmp;
	if (!tmp)
		return -1;
	for (unsigned shift = 0; shift < 64 && (all >> shift); shift += RADIX_BITS) {
		size_t count[1u << RADIX_BITS] = { 0 }, sum = 0;
		for (size_t i = 0; i < n; i++)
			count[(from[i].id >> shift) & ((1u << RADIX_BITS) - 1)]++;
		if (count[(from[0].id >> shift) & ((1u << RADIX_BITS) - 1)] == n)
			continue; /* one digit for all: nothing moves */
		for (size_t d = 0; d < (1u << RADIX_BITS); d++) {
			size_t c = count[d];
			count[d] = sum;
			sum += c;
		}
		for (size_t i = 0; i < n; i++)
			to[count[(from[i].id >> shift) & ((1u << RADIX_BITS) - 1)]++] = from[i];
		struct stf_key *t = from;
		from = to;
		to = t;
	}
	if (from != k)
		memcpy(k, from, n * sizeof(*k));
	stf__bulk_free(tmp);
	return 0;
}
