/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * respawn.h - threads started on demand (a thread per connection), started
 * again in the future and reversed versions.
 *
 * INTERNAL.  libstf interposes pthread_create to remember each thread's
 * start routine; a parked thread publishes it with its frame.  A thread of
 * the running version P parked in a function in which no thread of F's (or
 * R's) startup is parked (F: under the renames of its locals) was started
 * on demand: F and R start it again, from the same start routine (mapped
 * by its static ID, F: renames applied), with a zero-filled stand-in for
 * its argument (stf__respawn_arg), before
 * their transfer, so that its frame has a counterpart.  Threads without a
 * start routine (the main thread) are left to the pairing as before.
 */
#ifndef STF_RESPAWN_H
#define STF_RESPAWN_H

#include <stddef.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/types.h>

/* The stand-in argument of threads started again: zeros, and free()
 * ignores it. */
#define STF_RESPAWN_ARG_SIZE 65536
extern char stf__respawn_arg[STF_RESPAWN_ARG_SIZE];

/* The calling thread's start routine, 0 for the main thread and threads
 * not created through pthread_create. */
uint64_t stf__thread_start(void);

/*
 * F, R (quiesced): start a thread (detached unless P's was joinable) for
 * every thread of P (pid,
 * root) with a start routine, parked in a function in which none of the
 * calling process's parked threads is, in P's order.  `forward`: the caller is the new
 * version (start routines are looked up through the registered renames).
 * F first starts the stand-ins of P's ended, unjoined threads
 * (thread-records.h).  Returns the number of threads started, or -1 with a message in err when
 * one cannot be (the update cannot go on: P's thread would be lost).
 */
int stf__respawn(pid_t past_pid, uint64_t past_root, int forward, char *err, size_t errlen);

/*
 * A thread of libstf's own (the control thread), on a stack of
 * STF_OWN_STACK bytes besides the static TLS, and without the start record every program thread
 * gets: freeing it in the new thread made glibc give that thread a malloc
 * arena of its own, 64 MiB of address space (and with the 8 MiB default
 * stack, 72 MiB: a program living under RLIMIT_AS failed to allocate).
 * pthread_create's result.
 */
#define STF_OWN_STACK (256 * 1024)
int stf__own_thread(pthread_t *th, void *(*fn)(void *), void *arg);

#endif /* STF_RESPAWN_H */
