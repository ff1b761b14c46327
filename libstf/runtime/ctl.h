/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * ctl.h - libstf's control channel to ttstd.
 *
 * INTERNAL.  ctl.c has no entry points of its own besides
 * stf__ctl_update_point_reached (update.h), stf__ctl_tree_joined and
 * stf__ctl_warn (below; launch.c starts F and R for it): a library
 * constructor reads the environment below and, when the process is
 * supervised, starts one control thread that connects to ttstd and executes its commands (wire format:
 * ttstd/proto.h).
 *
 * Environment (set by ttstd for the program, by the control thread of the
 * past version P for the future F and reversed R versions; the first three
 * are removed from the environment at start, so the program's own children
 * do not inherit them):
 */
#ifndef STF_CTL_H
#define STF_CTL_H

/* Path of ttstd's program socket; its presence means "supervised". */
#define STF_ENV_CTL     "STF_CTL"
/* F and R: the descriptor of the control connection ttstd made for them,
 * passed on by P (a program that dropped privileges or entered a chroot
 * could not reach the socket again); STF_CTL is then only kept to pass on. */
#define STF_ENV_CTL_FD  "STF_CTL_FD"
/* "future" or "reversed"; absent for the supervised program itself. */
#define STF_ENV_ROLE    "STF_ROLE"
/* "<pid>:<address of P's struct stf_root>" (hex), in F and R. */
#define STF_ENV_PAST    "STF_PAST"
/* First dynamic ID to hand out (P's next ID), in F and R; read by alloc.c. */
#define STF_ENV_ID_BASE "STF_ID_BASE"
/* Address ranges of P's live heap blocks, in F and R: reserved at their
 * first allocation so that P's blocks can be placed at the same addresses
 * (stf__alloc_at); read by placement.c. */
#define STF_ENV_AVOID   "STF_AVOID"
/* Fault injection, in F and R; read by fault.c. */
#define STF_ENV_FAULT   "STF_FAULT"
/* P's stf_update_fd() descriptor, in F and R (inherited). */
#define STF_ENV_UPDATE_FD "STF_UPDATE_FD"

/*
 * Commands (`cmd=`) the control thread executes, by role:
 *   past (the running program):  quiesce, spawn, resume, exit,
 *                                retire (replaced but kept, parked, while
 *                                its sessions run: reap its children; no
 *                                reply),
 *                                stderr (+ fd: append it to descriptor 2),
 *                                allow reader=PID (a worker of a tree:
 *                                its counterpart may read it)
 *   future:                      forward, backward (+ fd), resume (commit)
 *   reversed:                    serve (+ fd), diff, exit
 * A child forked by the program (tree.h) says hello with parent= and
 * order=, and session=1 if it serves a session (tree.h), which it
 * sends `event=worker` to end once it reaches an update point; forward and serve carry the tree's pid map as pid=OLD:NEW
 * fields (pids.h), and a worker's forward its counterpart's past_pid= and
 * past_root=.
 * F and R first send `event=ready` when their first update point is
 * reached.  Every command gets one reply, `ok=1 ...` or `ok=0 error=...`,
 * except exit.
 */

/* A warning on descriptor 2, prefixed with libstf and the pid; written
 * with write(2), not stdio (stdio's buffers are the program's state). */
void stf__ctl_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* A session of the tree became a worker (tree.h): tell ttstd. */
void stf__ctl_tree_joined(void);

#endif /* STF_CTL_H */
