/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * pthreads.h - pthread_t values named after the new version's threads:
 * once the state is in place and R has its copy, each value of type
 * pthread_t in the new version's state that names a thread of the
 * running version is made to name that thread's counterpart (its partner
 * by thread-pairs.c, a thread started again by respawn.c, the stand-in
 * of an ended, unjoined thread: thread-records.h), so that the program's
 * pthread_join, pthread_kill and pthread_equal work on.
 *
 * INTERNAL.  F renames after the backward transfer: R's copy keeps the
 * running version's values and compares equal to them.  A value naming a
 * thread of the running version without counterpart makes the update
 * roll back, naming where it is.  Only programs that started threads are
 * walked (the main thread's pthread_t of a single-threaded program keeps
 * its old value).
 */
#ifndef STF_PTHREADS_H
#define STF_PTHREADS_H

#include <stdint.h>
#include <sys/types.h>

struct stf_xfer_report;

/* F: the running version's thread old is this process's thread new
 * (0: none).  -1 if out of memory. */
int stf__pthreads_note(uint64_t old, uint64_t new_handle);

/* F: the running version's thread old ended returning the address ret
 * and was not joined: the new version has no such value to return, and
 * a pthread_t naming it makes the update roll back.  -1 if out of
 * memory. */
int stf__pthreads_note_gone(uint64_t old, uint64_t ret);

/* F (quiesced, after the backward transfer): rename.  -1 with the
 * reason in rep->error. */
int stf__pthreads_apply(pid_t past_pid, uint64_t past_root, struct stf_xfer_report *rep);

#endif /* STF_PTHREADS_H */
