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

/* Before quiescence, the program still serving: map and populate about
 * the fresh memory F and R will take for this process's state, for at
 * most budget_ms milliseconds.  The bytes populated. */
uint64_t stf__warm_before_quiesce(unsigned budget_ms);

/* Give that memory back (at the next command after the quiescence, and
 * whenever the update ends): F and R, started next, take its pages. */
void stf__warm_release(void);

#endif /* STF_WARM_H */
