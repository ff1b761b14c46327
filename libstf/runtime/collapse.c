/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * collapse.c - huge-page collapses of filled heap ranges (collapse.h).
 *
 * spans.c decides which 2 MiB ranges of the heap's first 32 MiB are
 * filled enough to be one huge page (consider_huge); collapsing one
 * (MADV_COLLAPSE) takes the kernel a few milliseconds of copying.  Done
 * in the allocation that filled the range, that was a few ms of latency
 * in a program's request, up to 16 times.  Here a thread of libstf's own
 * does them: the allocation only sets the range's bit and wakes it.
 *
 * The thread is started on the first range (a program that never fills
 * 2 MiB of heap keeps its threads), not from inside the allocation that
 * queued it - creating a thread allocates - but at the start of the next
 * span refill, where allocating again is safe.  It is excluded from
 * quiescence like the control thread (it never runs program code) and
 * takes no signals.  A fork child has no such thread: it starts its own
 * when it fills a range of its own.
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "collapse.h"
#include "respawn.h"
#include "update.h"

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif
#define HUGE_PAGE (2ULL << 20)

enum { COLLAPSER_NONE, COLLAPSER_DUE, COLLAPSER_STARTING, COLLAPSER_RUNNING };

atomic_int stf__collapser_due;          /* a range waits and no thread runs */
atomic_bool stf__no_collapse;
static atomic_int collapser = COLLAPSER_NONE;
static _Atomic uint64_t pending;        /* bit i: range i waits */
static _Atomic uintptr_t range_lo[64];  /* its first byte */
static atomic_uint queued;              /* futex word: bumped per range */

static void *collapse_ranges(void *arg)
{
	(void)arg;
	stf__quiesce_exclude_self();
	pthread_setname_np(pthread_self(), "stf-collapse");
	for (;;) {
		unsigned seen = atomic_load_explicit(&queued, memory_order_acquire);
		uint64_t w = atomic_exchange_explicit(&pending, 0, memory_order_acquire);
		for (; w; w &= w - 1) {
			uintptr_t lo = atomic_load_explicit(&range_lo[__builtin_ctzll(w)],
							    memory_order_relaxed);
			if (madvise((void *)lo, HUGE_PAGE, MADV_COLLAPSE) && errno == EINVAL)
				atomic_store_explicit(&stf__no_collapse, true, memory_order_relaxed);
		}
		/* a range queued since `seen` was read changed the word: no wait */
		syscall(SYS_futex, &queued, FUTEX_WAIT_PRIVATE, seen, NULL, NULL, 0);
	}
	return NULL;
}

void stf__collapse_queue(uint64_t i, uintptr_t lo)
{
	atomic_store_explicit(&range_lo[i], lo, memory_order_relaxed);
	atomic_fetch_or_explicit(&pending, 1ULL << i, memory_order_release);
	atomic_fetch_add_explicit(&queued, 1, memory_order_release);
	/* (a thread still starting may already sleep: always woken) */
	syscall(SYS_futex, &queued, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	int none = COLLAPSER_NONE;
	if (atomic_compare_exchange_strong(&collapser, &none, COLLAPSER_DUE))
		atomic_store_explicit(&stf__collapser_due, 1, memory_order_relaxed);
}

void stf__collapse_start(void)
{
	int due = COLLAPSER_DUE;
	if (!atomic_compare_exchange_strong(&collapser, &due, COLLAPSER_STARTING))
		return;
	atomic_store_explicit(&stf__collapser_due, 0, memory_order_relaxed);
	int saved = errno;
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_t th;
	int rc = stf__own_thread(&th, collapse_ranges, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc == 0) {
		pthread_detach(th);
		atomic_store(&collapser, COLLAPSER_RUNNING);
	} else {
		/* no thread (out of memory, RLIMIT_NPROC): no collapses, the
		 * heap keeps its 4 KiB pages */
		atomic_store(&stf__no_collapse, true);
		atomic_store(&collapser, COLLAPSER_NONE);
	}
	errno = saved;
}

void stf__collapse_fork_child(void)
{
	atomic_store(&pending, 0);
	atomic_store(&stf__collapser_due, 0);
	atomic_store(&collapser, COLLAPSER_NONE);
}
