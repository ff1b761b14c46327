/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * thread-records.h - the program's threads as the new version must know
 * them to rename its pthread_t values (struct stf_thread_rec, root.h):
 * detached or joinable, and for a joinable thread that ended but was not
 * joined yet, what it returned.
 *
 * INTERNAL.  pthread_create (respawn.c) adds a record before the thread
 * starts; the thread marks it ended when its start routine returns or it
 * calls pthread_exit; pthread_join (and its timed and try variants) and
 * pthread_detach, interposed here, drop it.  The list is published as
 * stf__root.threads.
 */
#ifndef STF_THREAD_RECORDS_H
#define STF_THREAD_RECORDS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "root.h"

/* pthread_create: a record for a thread about to start, linked (NULL if
 * out of memory: the thread then goes unrecorded); attr as given. */
struct stf_thread_rec *stf__thread_rec_new(const pthread_attr_t *attr);
/* pthread_create failed: forget it. */
void stf__thread_rec_drop(struct stf_thread_rec *r);
/* The thread of r is th: called by the thread as it starts, and by its
 * creator once pthread_create returns (the first of them to run may be
 * either), with r's serial read before the thread started: a detached
 * thread may have ended and freed r already. */
void stf__thread_rec_started(struct stf_thread_rec *r, pthread_t th);
void stf__thread_rec_created(struct stf_thread_rec *r, uint32_t rec_serial, pthread_t th);
/* The calling thread's record is r (it starts). */
void stf__thread_rec_set_own(struct stf_thread_rec *r);
/* The calling thread ends returning ret (no record: nothing). */
void stf__thread_rec_own_ended(void *ret);

/* A copy of the records of process pid (root at root_addr) in *out
 * (stf__raw_free it), their number in *n; -1 if they cannot be read. */
int stf__thread_recs_read(pid_t pid, uint64_t root_addr, struct stf_thread_rec **out, size_t *n);
/* The record of handle th among recs[n], NULL if none. */
const struct stf_thread_rec *stf__thread_rec_find(const struct stf_thread_rec *recs, size_t n,
						  uint64_t th);

/*
 * F (quiesced, before its transfer): for every thread of P (pid, root)
 * that ended and was not joined, start a thread that ends at once
 * returning the same value, so that the program's join in the new
 * version finds it; each pair is noted for the renaming (pthreads.h).
 * One that returned an address (the new version has no such value) is
 * noted as gone: a pthread_t naming it rolls the update back.  -1 with
 * the reason in err if a stand-in cannot be started.
 */
int stf__thread_standins(pid_t past_pid, uint64_t past_root, char *err, size_t errlen);

#endif /* STF_THREAD_RECORDS_H */
