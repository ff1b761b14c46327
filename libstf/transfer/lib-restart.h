/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * lib-restart.h - the old version's library threads started again in the
 * new version at its commit (lib-restart.c).
 *
 * INTERNAL.
 */
#ifndef STF_LIB_RESTART_H
#define STF_LIB_RESTART_H

#include <stdbool.h>
#include <stddef.h>

struct stf_xfer;

/* F, after the forward transfer read the old version: plan to start
 * again each of its library threads (runtime/lib-threads.c); refuse the
 * update naming each one that ran while the process was read, or that
 * cannot be started again, and each library thread of the new version's
 * own startup.  0, or -1. */
int stf__lib_threads_plan(struct stf_xfer *x);
bool stf__lib_threads_planned(void);
/* F, told to commit, before anything is applied: 0, or -1 with why
 * (naming each thread) when one of them ran since it was counted. */
int stf__lib_threads_recheck(char *why, size_t len);
/* F, at the commit, on the program's thread (it has the program's signal
 * mask; each thread gets its old one): start them. */
void stf__lib_threads_start(void);

#endif /* STF_LIB_RESTART_H */
