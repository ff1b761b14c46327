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
 * still serving on its own threads: not paused), and hands it over to F and
 * R as they grow: it unmaps a piece whenever their resident memory comes
 * within LEAD of what it gave, so that the kernel hands the pages just freed
 * to their next allocations (memory left free for two seconds goes back to
 * the host).  On a machine without such reporting it only moves the kernel's
 * zeroing of the pages before the pause.
 *
 * The program's memory is left alone: the mapping is libstf's own (raw, not
 * tracked as state, empty in a child forked meanwhile), named so that F,
 * reading this process's mappings, does not take it for a library's
 * (libraries.c); it exists only during an update and never in a normal
 * process.  No heap allocation and no thread: the control thread steps it
 * between commands.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "spans.h"
#include "warm.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif
#ifndef PR_SET_VMA
#define PR_SET_VMA 0x53564d41
#define PR_SET_VMA_ANON_NAME 0
#endif

/* What F and R take fresh per object of the state besides their heaps:
 * catalogs, fetched state, pairing, staging and differencing tables
 * (STF_XFER_PROFILE's "MB fresh": about 280 bytes in F and 320 in R per
 * object of the bench's real-shaped heap), less what each process reuses. */
#define BYTES_PER_OBJECT 512
/* Below this, fresh pages cost less than a millisecond or so. */
#define WARM_MIN ((uint64_t)32 << 20)
/* Populated and handed over piece by piece. */
#define PIECE ((uint64_t)8 << 20)
/* Given ahead of F's and R's growth: what they may take between two looks
 * (STEP_MS apart) */
#define LEAD ((uint64_t)64 << 20)
#define STEP_MS 10
#define HUGE ((uintptr_t)2 << 20)
#define MAX_TAKERS 2

static struct {
	uint8_t *map;      /* the mapping, NULL if none */
	size_t map_len;
	uint8_t *at;       /* its first huge page */
	uint64_t ready;    /* bytes from `at` populated */
	uint64_t given;    /* bytes from `at` unmapped for F and R */
	int named;         /* named: it may stay mapped while F reads us */
	int ntakers;
	pid_t taker[MAX_TAKERS];
	uint64_t taker_base[MAX_TAKERS];  /* resident bytes when spawned */
} w;

static double seconds(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Mapped (field 0) or resident (field 1) bytes of pid, 0 if it is gone. */
static uint64_t statm(pid_t pid, int field)
{
	char path[48], buf[96];
	unsigned long long v[2];
	snprintf(path, sizeof path, "/proc/%d/statm", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	if (sscanf(buf, "%llu %llu", &v[0], &v[1]) != 2)
		return 0;
	return (uint64_t)v[field] * (uint64_t)sysconf(_SC_PAGESIZE);
}

/* F's heap and R's as large as ours, and their tables; never more than a
 * quarter of the memory free now, nor of the address space the program's
 * RLIMIT_AS leaves it (it still allocates meanwhile). */
static uint64_t wanted(void)
{
	uint64_t start, end;
	struct sysinfo si;
	struct rlimit rl;

	stf__spans_extent(&start, &end);
	uint64_t want = 2 * (end - start) + stf__objects_bound() * BYTES_PER_OBJECT;
	if (sysinfo(&si) == 0) {
		uint64_t spare = (uint64_t)si.freeram * si.mem_unit / 4;
		if (want > spare)
			want = spare;
	}
	if (getrlimit(RLIMIT_AS, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
		uint64_t mapped = statm(getpid(), 0);
		uint64_t room = rl.rlim_cur > mapped + HUGE ? (rl.rlim_cur - mapped - HUGE) / 4 : 0;
		if (want > room)
			want = room;
	}
	return want < WARM_MIN ? 0 : want & ~(PIECE - 1);
}

uint64_t stf__warm_before_quiesce(unsigned budget_ms)
{
	uint64_t want = wanted();
	double until = seconds() + budget_ms / 1e3;

	stf__warm_release();
	if (!want)
		return 0;
	uint8_t *p = stf__raw_mmap(NULL, want + HUGE, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED || !p)
		return 0;
	w.map = p;
	w.map_len = want + HUGE;
	w.at = (uint8_t *)(((uintptr_t)p + HUGE - 1) & ~(HUGE - 1));
	/* hints: huge pages, as F's and R's large mappings ask for; the
	 * program's children forked meanwhile get it empty (not
	 * MADV_DONTFORK: under valgrind a fork then hangs) */
	(void)madvise(w.at, want, MADV_HUGEPAGE);
	(void)madvise(p, w.map_len, MADV_WIPEONFORK);
	w.named = prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, (unsigned long)p, w.map_len,
			(unsigned long)"libstf update memory") == 0;
	while (w.ready < want && seconds() < until &&
	       madvise(w.at + w.ready, PIECE, MADV_POPULATE_WRITE) == 0)
		w.ready += PIECE;  /* (before Linux 5.14: F and R fault their own) */
	return w.ready;
}

void stf__warm_hand_over(pid_t pid)
{
	if (!w.map)
		return;
	if (!w.named || w.ntakers == MAX_TAKERS) {
		/* it must not be mapped when F reads our mappings: all now */
		stf__warm_release();
		return;
	}
	w.taker[w.ntakers] = pid;
	w.taker_base[w.ntakers] = statm(pid, 1);
	w.ntakers++;
	stf__warm_step();
}

int stf__warm_next_ms(void)
{
	return w.map && w.ntakers && w.given < w.ready ? STEP_MS : -1;
}

void stf__warm_step(void)
{
	uint64_t grown = 0;

	/* R gone (exited at the commit, or killed): F took what it needed;
	 * a watched P, frozen, must not keep the rest */
	if (w.ntakers == MAX_TAKERS && !statm(w.taker[1], 1)) {
		stf__warm_release();
		return;
	}
	for (int i = 0; i < w.ntakers; i++) {
		uint64_t r = statm(w.taker[i], 1);
		grown += r > w.taker_base[i] ? r - w.taker_base[i] : 0;
	}
	while (w.given < w.ready && w.given < grown + LEAD) {
		stf__raw_munmap(w.at + w.given, PIECE);
		w.given += PIECE;
	}
	if (w.given >= w.ready)
		stf__warm_release();
}

void stf__warm_release(void)
{
	if (w.map)
		stf__raw_munmap(w.map, w.map_len);  /* what is left of it */
	w.map = NULL;
	w.map_len = 0;
	w.ready = w.given = 0;
	w.ntakers = 0;
}
