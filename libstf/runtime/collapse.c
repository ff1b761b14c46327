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
 * The thread is started by the first range queued (a program that never
 * fills 2 MiB of heap keeps its threads).  It is a bare clone() thread,
 * not a pthread: glibc would give it a copy of every module's static
 * TLS, touched, which is 700 KiB for libstf alone, and pthread_create
 * allocates (this runs inside malloc); this one has a 64 KiB stack and a
 * thread pointer to a few words of its own, makes raw system calls only
 * (no errno) and calls nothing.  Quiescence does not wait for it (it
 * never runs program code), it takes no signals, and a fork child starts
 * its own.
 */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <linux/futex.h>
#include <unistd.h>

#include "collapse.h"

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif
#define HUGE_PAGE (2ULL << 20)
#define COLLAPSER_STACK (64u << 10)

atomic_bool stf__no_collapse;
static atomic_int collapser = -1;       /* its thread ID; -1 none, 0 starting */
static _Atomic uint64_t pending;        /* bit i: range i waits */
static _Atomic uintptr_t range_lo[64];  /* its first byte */
static atomic_uint queued;              /* futex word: bumped per range */
/* The thread's thread pointer: what %fs-relative code would read (its
 * self pointer at 0, the stack guard at 0x28). */
static uint64_t collapser_tcb[8];

static long raw_syscall4(long n, long a, long b, long c, long d)
{
	long ret;
	register long r10 __asm__("r10") = d;
	__asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10)
			 : "rcx", "r11", "memory");
	return ret;
}

static int __attribute__((no_stack_protector)) collapse_ranges(void *arg)
{
	(void)arg;
	raw_syscall4(SYS_prctl, PR_SET_NAME, (long)"stf-collapse", 0, 0);
	for (;;) {
		unsigned seen = atomic_load_explicit(&queued, memory_order_acquire);
		uint64_t w = atomic_exchange_explicit(&pending, 0, memory_order_acquire);
		for (; w; w &= w - 1) {
			uintptr_t lo = atomic_load_explicit(&range_lo[__builtin_ctzll(w)],
							    memory_order_relaxed);
			if (raw_syscall4(SYS_madvise, (long)lo, HUGE_PAGE, MADV_COLLAPSE, 0) == -EINVAL)
				atomic_store_explicit(&stf__no_collapse, true, memory_order_relaxed);
		}
		/* a range queued since `seen` was read changed the word: no wait */
		raw_syscall4(SYS_futex, (long)&queued, FUTEX_WAIT_PRIVATE, seen, 0);
	}
	return 0;
}

/* Started by the first range queued; none if the system refuses. */
static void start_collapser(void)
{
	char *stack = mmap(NULL, COLLAPSER_STACK, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	int tid = -1;
	if (stack != MAP_FAILED) {
		collapser_tcb[0] = (uintptr_t)collapser_tcb;
		sigset_t all, old;
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &old);
		tid = clone(collapse_ranges, stack + COLLAPSER_STACK,
			    CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
			    CLONE_SYSVSEM | CLONE_SETTLS, NULL, NULL, collapser_tcb, NULL);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		if (tid <= 0)
			munmap(stack, COLLAPSER_STACK);
	}
	if (tid <= 0) {
		/* (out of memory, RLIMIT_NPROC): no collapses, the heap
		 * keeps its 4 KiB pages */
		atomic_store(&stf__no_collapse, true);
		tid = -1;
	}
	atomic_store(&collapser, tid);
}

void stf__collapse_queue(uint64_t i, uintptr_t lo)
{
	int saved = errno;
	atomic_store_explicit(&range_lo[i], lo, memory_order_relaxed);
	atomic_fetch_or_explicit(&pending, 1ULL << i, memory_order_release);
	atomic_fetch_add_explicit(&queued, 1, memory_order_release);
	int none = -1;
	if (atomic_compare_exchange_strong(&collapser, &none, 0))
		start_collapser();
	else
		raw_syscall4(SYS_futex, (long)&queued, FUTEX_WAKE_PRIVATE, 1, 0);
	errno = saved;
}

int stf__collapser_tid(void)
{
	int tid = atomic_load_explicit(&collapser, memory_order_relaxed);
	return tid > 0 ? tid : 0;
}

void stf__collapse_fork_child(void)
{
	atomic_store(&pending, 0);
	atomic_store(&collapser, -1);
}
