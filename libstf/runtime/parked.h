/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * parked.h - the parked threads, shared by update points (update.c) and
 * quiescence (quiesce.c).
 *
 * INTERNAL.  Everything here is guarded by stf__q_lock.
 */
#ifndef STF_PARKED_H
#define STF_PARKED_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>
#include "root.h"

extern pthread_mutex_t stf__q_lock;
extern pthread_cond_t stf__q_cond;   /* parked threads wait */
extern pthread_cond_t stf__q_arrive; /* the quiescer waits */
extern bool stf__quiescing;

/* Frames of the parked threads, published through stf__root. */
extern struct stf_parked_frame *stf__frames;
extern size_t stf__nframes;

/* Threads quiescence does not wait for (libstf's control threads). */
#define MAX_EXCLUDED 8
extern pid_t stf__excluded[MAX_EXCLUDED];
extern size_t stf__nexcluded;

/* F and R before their quiescence: how many threads wait for the main
 * thread to reach its update point (update.c: threads other than the main
 * one at update points), and whether every thread but the calling one
 * and libstf's own is such a thread or is blocked in a wait point (q_lock
 * held; quiesce.c). */
extern unsigned stf__startup_early;
bool stf__startup_others_idle_locked(pid_t self, unsigned waiting);
/* F or R, before its quiescence began (takes q_lock). */
bool stf__in_startup(void);
/* Whether thread tid has exited (a zombie, or gone). */
bool stf__thread_gone(pid_t tid);
/* /proc/self/task/TID/what into buf (len bytes, NUL-terminated): its
 * length, or -1 (the thread is gone).  Allocates nothing. */
ssize_t stf__task_file(pid_t tid, const char *what, char *buf, size_t len);
/* A system call's name ("epoll_wait", a futex wait described), NULL if
 * it has none here. */
const char *stf__syscall_name(long nr);

/* When the last thread parked (CLOCK_MONOTONIC seconds). */
extern double stf__last_parked;

/* Release the parked threads (q_lock held). */
void stf__release_locked(void);
pid_t stf__gettid_raw(void);
double stf__now_s(void);
/* *ts = now on clock + ms milliseconds (an absolute timeout). */
void stf__deadline_in_ms(struct timespec *ts, clockid_t clock, long ms);
/* stf_update_fd() readable (an update is pending) or not. */
void stf__update_fd_signal(bool pending);

#endif /* STF_PARKED_H */
