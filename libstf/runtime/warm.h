/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * warm.h - memory the new and reversed versions of an update will need,
 * made resident by the running version before it stops (warm.c).
 *
 * INTERNAL.  Only the control thread of the running version calls these.
 */
#ifndef STF_WARM_H
#define STF_WARM_H

#include <stdint.h>
#include <sys/types.h>

/* Before quiescence, the program still serving: map and populate about
 * the fresh memory F and R will take for this process's state, for at
 * most budget_ms milliseconds.  The bytes populated. */
uint64_t stf__warm_before_quiesce(unsigned budget_ms);

/* F or R was spawned as pid: hand it the memory as it grows. */
void stf__warm_hand_over(pid_t pid);

/* Milliseconds until stf__warm_step wants to run again; -1 if it has
 * nothing left to hand over. */
int stf__warm_next_ms(void);

/* Unmap as much of the memory as F and R are about to take. */
void stf__warm_step(void);

/* Give all that memory back (at any other command, and whenever the
 * update ends). */
void stf__warm_release(void);

#endif /* STF_WARM_H */
