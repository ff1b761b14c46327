/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * warm.c - the fresh memory of an update, made ready while the program
 * still serves.
 *
 * The new version F and the reversed version R take several hundred bytes
 * of fresh memory per object of the running version's state (their heaps,
 * the transfer's catalogs and tables: bulk.c), all of it during the pause.
 * On a virtual machine whose guest gives its free memory back to the host
 * (virtio-balloon's free page reporting, as Firecracker's guests do), the
 * first touch of such memory costs the host's fault, 2.5-5 ms per MiB even
 * in huge pages, against 0.1 ms per MiB for memory the guest freed a moment
 * ago: a third of F's and R's CPU in the pause.  So the control thread, asked
 * to quiesce, first maps and populates about that much memory (the program
 * still serving on its own threads: not paused), and unmaps it at the next
 * command, the spawn of F: the kernel hands the pages just freed to F's and
 * R's allocations, which follow within the second (a guest reports free
 * memory to the host after two seconds).  On a machine without such
 * reporting it changes nothing but the time before the pause.
 *
 * The program's memory is left alone: the mapping is libstf's own (raw, not
 * tracked as state, not inherited by a fork), exists only between the
 * quiesce command and the next one, and a normal process never has it.
 */
#include <stdint.h>
#include <sys/mman.h>
#include <sys/sysinfo.h>
#include <time.h>

#include "alloc.h"
#include "spans.h"
#include "warm.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

/* What F and R take fresh per object of the state besides their heaps:
 * catalogs, fetched state, pairing, staging and differencing tables
 * (STF_XFER_PROFILE's "MB fresh": about 280 bytes in F and 320 in R per
 * object of the bench's real-shaped heap), less what each process reuses. */
#define BYTES_PER_OBJECT 512
/* Below this, fresh pages cost less than a millisecond or so. */
#define WARM_MIN ((uint64_t)32 << 20)
/* Populated piece by piece, the time checked between pieces. */
#define PIECE ((size_t)8 << 20)
#define HUGE ((uintptr_t)2 << 20)

static void *reserve;
static size_t reserve_len;

static double seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* F's heap and R's as large as ours, and their tables; never more than a
 * quarter of the memory free now. */
static uint64_t wanted(void)
{
	uint64_t start, end;
	struct sysinfo si;

	stf__spans_extent(&start, &end);
	uint64_t want = 2 * (end - start) + stf__objects_bound() * BYTES_PER_OBJECT;
	if (sysinfo(&si) == 0) {
		uint64_t spare = (uint64_t)si.freeram * si.mem_unit / 4;
		if (want > spare)
			want = spare;
	}
	return want < WARM_MIN ? 0 : (want + HUGE - 1) & ~(uint64_t)(HUGE - 1);
}

uint64_t stf__warm_before_quiesce(unsigned budget_ms)
{
	uint64_t want = wanted(), off = 0;
	double until = seconds() + budget_ms / 1e3;

	stf__warm_release();
	if (!want)
		return 0;
	uint8_t *p = stf__raw_mmap(NULL, want + HUGE, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED || !p)
		return 0;
	reserve = p;
	reserve_len = want + HUGE;
	/* hints: huge pages, as F's and R's large mappings ask for; the
	 * program's children forked meanwhile do not inherit it */
	uint8_t *a = (uint8_t *)(((uintptr_t)p + HUGE - 1) & ~(HUGE - 1));
	(void)madvise(a, want, MADV_HUGEPAGE);
	(void)madvise(p, reserve_len, MADV_DONTFORK);
	for (; off < want && seconds() < until; off += PIECE)
		if (madvise(a + off, want - off < PIECE ? want - off : PIECE, MADV_POPULATE_WRITE))
			break; /* before Linux 5.14: F and R fault their pages in */
	return off < want ? off : want;
}

void stf__warm_release(void)
{
	if (reserve)
		stf__raw_munmap(reserve, reserve_len);
	reserve = NULL;
	reserve_len = 0;
}
