/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib-threads.h - threads a library starts that run no program code
 * (lib-threads.c): quiescent while blocked in the library, published for
 * the new version, which starts them again at its commit.
 *
 * INTERNAL.
 */
#ifndef STF_LIB_THREADS_H
#define STF_LIB_THREADS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "root.h"

/* What a thread is started with (respawn.c's pthread_create). */
struct stf_thread_start {
	uintptr_t fn;  /* its start routine */
	uintptr_t arg;
	uintptr_t rec;  /* its struct stf_thread_rec (thread-records.h) */
};

/* The calling thread, just started through pthread_create (respawn.c's
 * trampoline) with *s, read from the trampoline's memory; top: the
 * trampoline's frame, above which nothing of the program's lies. */
void stf__thread_began(const volatile struct stf_thread_start *s, uintptr_t top);
/* The calling thread ends (its start routine returned or it exited). */
void stf__thread_ended(void);

/* Before a quiescence, outside stf__q_lock: where the program's code is. */
void stf__lib_threads_prepare(void);
/* A sweep of the quiescence begins (q_lock held): forget the last one's. */
void stf__lib_threads_sweep_begin(void);
/* Is thread tid (not parked, not at an update point ever) a library's
 * thread blocked in the library, so quiescent?  It is then noted for
 * publishing (q_lock held). */
bool stf__lib_thread_quiet_locked(pid_t tid);
/* Publish the last sweep's through stf__root (q_lock held). */
void stf__lib_threads_publish_locked(void);
/* This process's, as the last sweep found them. */
const struct stf_library_thread *stf__lib_threads_own(size_t *n);

/* Is nr one of the waits of an event loop (poll, select, epoll)? */
bool stf__lib_thread_polls(uint64_t nr);

#endif /* STF_LIB_THREADS_H */
