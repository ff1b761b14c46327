/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * index-pages.c - the memory of the transfer's large indexes (remote.h):
 * the catalogs' address indexes and what the reversed version was written
 * (a range of 24 bytes per object, a million objects: 24 MB each).
 *
 * index.c maps its ranges arrays itself, in 4 KiB pages.  Here, each
 * takes a fault, and on the virtual machines we run on the first write
 * to a fresh page costs as much again (the host backs it then): 6,000
 * faults and 0.1-0.2 s per index of a million objects.  On huge pages
 * (madvise; the 2 MiB-aligned part of the array) and populated in one
 * call, it costs a fault per 2 MiB.  See bulk.c for the same reasoning
 * on the engine's other large arrays.
 */
#include <string.h>
#include <sys/mman.h>

#include "remote.h"

int stf__peer_index_reserve(struct stf_index *ix, size_t n)
{
	size_t had = ix->cap;
	if (stf__index_reserve(ix, n) < 0)
		return -1;
	/* below this (bulk.c's BULK_MIN) 4 KiB pages are cheap enough */
	size_t bytes = n * sizeof(struct stf_range);
	if (ix->cap == had || bytes < ((size_t)256 << 10))
		return 0;
	/* only hints: huge pages for the 2 MiB-aligned part of the array
	 * (index.c maps it), and it faults in now rather than one page at
	 * a time while the ranges are written */
	(void)madvise(ix->ranges, ix->cap * sizeof(struct stf_range), MADV_HUGEPAGE);
	stf__bulk_populate(ix->ranges, bytes);
	return 0;
}

void stf__peer_index_prepare(size_t n)
{
	struct stf_index ix;
	memset(&ix, 0, sizeof(ix));
	if (stf__peer_index_reserve(&ix, n) == 0)
		stf__index_free(&ix); /* kept for the next index (index.c) */
}
