/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * wait.h - condition-variable waits as update points; threads that loop
 * to update points.
 *
 * INTERNAL.  The plugin rewrites every pthread_cond_wait,
 * pthread_cond_timedwait and pthread_cond_clockwait call of instrumented
 * code into stf__wait_point(), so an idle pool worker blocked on a
 * condition variable is an update point with a frame: quiescence wakes it
 * with a broadcast (a spurious wakeup, which POSIX allows), it parks
 * without the mutex, and it returns from the wait holding the mutex again
 * - in the new version, the relocated one.
 */
#ifndef STF_WAIT_H
#define STF_WAIT_H

#include <pthread.h>
#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

#include "stf-format.h"

/* The rewritten call: the wait's arguments (clock: STF_WAIT_*), then &local for each local of
 * frame record `frame` of `unit` after the two the function adds itself
 * (STF_WAIT_COND_LOCAL and STF_WAIT_MUTEX_LOCAL).  Returns what the wait
 * returned; 0 after an update. */
int stf__wait_point(const void *unit, unsigned frame, pthread_cond_t *cond,
		    pthread_mutex_t *mutex, int clock, const struct timespec *abstime, ...);

/* Quiescence (update.c, q_lock held): if thread tid is blocked in a wait
 * point, wake it so that it parks.  Non-zero if it was. */
int stf__wait_wake(pid_t tid);

/* Called by the plugin on entry to each function holding an update point:
 * the calling thread loops to update points. */
void stf__looping_thread(void);
/* Whether thread tid has called stf__looping_thread(): only such threads
 * may be interrupted in blocking calls to bring them to an update point. */
int stf__thread_loops(pid_t tid);
/* Register the fork handlers of the waiters' records: called by update.c
 * before it registers its own, so that a fork takes the quiescence's lock
 * before the waiters' lock, as the quiescence does (the other order
 * deadlocks a program that forks while it is being quiesced). */
void stf__wait_atfork(void);
/* Is key one of libstf's own pthread keys (the waiters' records, the
 * allocator's per-thread cache)?  They hold libstf's memory: tsd.c never
 * carries their values. */
bool stf__own_pthread_key(unsigned key);

#endif /* STF_WAIT_H */
