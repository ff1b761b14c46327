/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * update.h - update points and quiescence.
 *
 * INTERNAL.  update.c tracks the program's threads, parks them at update
 * points and publishes their frames in stf__root.  The control code
 * (ctl.c) drives it.
 */
#ifndef STF_UPDATE_H
#define STF_UPDATE_H

#include <stdbool.h>
#include <stdint.h>
#include "stf.h"
#include "root.h"

/* Ask every thread to park at its next update point, interrupting blocking
 * calls; wait at most timeout_ms.  0 when all are parked (stf__root.quiesced
 * is then 1 and stf__root.frames is valid), -1 on timeout with everything
 * resumed as before. */
int stf__quiesce(unsigned timeout_ms);
/* After a failed quiescence: the threads that did not park and what they
 * were doing ("thread 123 (futex wait: ...)"), empty if unknown. */
const char *stf__quiesce_stragglers(void);
/* When the last thread of the last quiescence parked (CLOCK_MONOTONIC,
 * seconds): the program is paused from then on; until then some thread
 * still served. */
double stf__quiesce_parked_at(void);
/* Whether the last failed quiescence gave up before its timeout: every
 * thread still missing sat in a futex wait that it cannot interrupt. */
bool stf__quiesce_gave_up(void);
/* F and R: the first thread at an update point has parked the process
 * itself (see stf__ctl_update_point_reached); wait at most timeout_ms for
 * every other thread to park too, so that all frames are published in
 * stf__root (ordered by thread ID).  0 when they are, -1 on timeout. */
int stf__quiesce_wait(unsigned timeout_ms);
/* Release the parked threads (rollback in P, commit in F). */
void stf__resume(void);
/* The calling thread (libstf's control thread) never parks: quiescence
 * does not wait for it.  The thread calling stf__quiesce is always
 * excluded.  Up to 8 threads. */
void stf__quiesce_exclude_self(void);

/* The plugin rewrites stf__update_point() calls into this: &local for
 * each local of frame record `frame` of `unit` (struct stf_unit). */
void stf__update_point_frame(const void *unit, unsigned frame, ...);

/* Park the calling thread at an update point described by `frame` (its
 * locals stay valid while it is parked); returns when released - at once
 * if no quiescence is under way. */
void stf__park(struct stf_parked_frame *frame, uintptr_t program_from);

/* In the libstf function holding an update or wait point, which calls
 * __builtin_unwind_init(): where the program's part of its thread's stack
 * begins, passed to stf__park.  The callee-saved registers that function
 * saved (the values the program's frames had in them) are pushed right
 * after the frame pointer on x86-64, the program's frames lie above; the
 * rest of the function's frame (and of the frames below it) is libstf's,
 * with slots it never wrote that hold dead copies of what the program
 * handled before (the startup sweep must not read them as pointers). */
#define STF_PROGRAM_FRAMES_FROM() \
	((uintptr_t)__builtin_frame_address(0) - STF_CALLEE_SAVED * sizeof(void *))
#define STF_CALLEE_SAVED 5u /* %rbx, %r12-%r15 (%rbp: at the frame pointer) */

/* F/R, while the control code runs on the thread that handed over: where
 * the program's part of that thread's stack begins (the registers the
 * update point's function saved, then the program's frames), 0 otherwise. */
uintptr_t stf__handover_frame(void);
/* A thread parked at an update or wait point of this process, for the
 * startup sweep (transfer/startup.c). */
#define STF_SAVED_REGS (STF_CALLEE_SAVED + 1) /* and %rbp, at the frame pointer */
struct stf_program_frames {
	uintptr_t from;       /* where the program's part of its stack begins:
	                         the STF_SAVED_REGS words the point saved, then
	                         the program's frames */
	uintptr_t func;       /* F/R: start of the function that called the
	                         point (from its unwind information), 0 if unknown */
	unsigned ndead;
	/* F/R: the values of the saved registers that this function had
	 * changed from its caller's (it saved them in its prologue): its
	 * own values at the call, in registers across it */
	uint64_t dead[STF_SAVED_REGS];
};
/* Thread tid's record: false if it is not parked here. */
bool stf__parked_program_frames(uint64_t tid, struct stf_program_frames *out);

/* Number of locals of frame record `frame` of `unit`, 0 if unreadable. */
struct stf_unit;
uint32_t stf__frame_nlocals(const struct stf_unit *unit, unsigned frame);

/* stf_update_fd()'s descriptor: F and R take P's (STF_UPDATE_FD), which
 * they inherit; -1 if the program never asked for one. */
void stf__update_fd_note(const char *value);
int stf__update_fd_get(void);

/* The role of this process, set by ctl.c from the environment at start. */
void stf__set_role(enum stf_role role);

/*
 * Called by update.c when a thread of F or R reaches its first update point
 * while stf_is_updating(): ctl.c performs the transfer for this role and
 * returns when the process may run (commit) - or never (rollback kills it).
 * `frame` describes the caller's locals (unit == 0 if not rewritten).
 */
void stf__ctl_update_point_reached(const struct stf_parked_frame *frame);

#endif /* STF_UPDATE_H */
