/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * xfer.h - the state transfer engine and state differencing.
 *
 * INTERNAL.  Called by the control code (ctl.c) in the future version F and
 * the reversed version R; never in the past version P, which is only read.
 *
 *   F:  stf__xfer_forward(P)            pull P's state into F (new types)
 *   F:  stf__xfer_backward(conn, R)     push F's state into R (old types);
 *   R:  stf__xfer_serve(conn)           ... R allocates what F asks for and
 *                                       zeroes its own transferred objects
 *                                       first (validation mode)
 *   R:  stf__diff(P)                    compare R's state with P's
 */
#ifndef STF_XFER_H
#define STF_XFER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Statistics and outcome of one transfer or diff, reported to ttstd. */
struct stf_xfer_report {
	uint64_t static_objects;   /* static objects transferred */
	uint64_t dynamic_objects;  /* heap/mmap objects transferred */
	uint64_t locals;           /* update-point locals transferred */
	uint64_t bytes;            /* bytes written in the destination */
	uint64_t pointers;         /* pointers relocated */
	uint64_t type_transforms;  /* values whose type changed */
	uint64_t dropped;          /* source objects with no destination */
	uint64_t added;            /* destination objects with no source */
	uint64_t integers;         /* pointer-typed values holding integers
	                              (no user address): kept as they are */
	uint64_t epoll;            /* forward: epoll registrations whose data
	                              pointer is relocated at commit */
	uint64_t differences;      /* diff only: number of differences */
	double   seconds_metadata; /* loading the peer's metadata and catalog */
	double   seconds_transfer;
	char     error[512];       /* why it failed: object, member path, value */
	char     first_diff[512];  /* diff only: the first difference */
};

/* Fault injection (testing): parsed from STF_FAULT=<kind>[@<phase>], honoured
 * in F and R only. */
enum stf_fault {
	STF_FAULT_NONE = 0,
	STF_FAULT_CRASH,          /* raise SIGSEGV */
	STF_FAULT_HANG,           /* loop forever */
	STF_FAULT_CORRUPT_VALUE,  /* flip a bit of a transferred scalar */
	STF_FAULT_CORRUPT_POINTER,/* relocate a pointer to the wrong target */
	STF_FAULT_SKIP_WRITE,     /* drop one transferred member */
	STF_FAULT_LEAK,           /* allocate an extra object nobody owns */
};

struct stf_parked_frame;
/* The calling thread's own update-point frame (the one handed to
 * stf__ctl_update_point_reached).  ctl.c sets it in F before
 * stf__xfer_forward and in R before stf__xfer_serve; its locals are the
 * destination (F, R) and source (F, backward) of the update-point locals.
 * The struct is copied; the locals array it points to must stay valid. */
void stf__xfer_set_frame(const struct stf_parked_frame *frame);

int stf__xfer_forward(pid_t past_pid, uint64_t past_root,
		      struct stf_xfer_report *rep);
int stf__xfer_backward(int conn, pid_t rev_pid, uint64_t rev_root,
		       struct stf_xfer_report *rep);
int stf__xfer_serve(int conn, struct stf_xfer_report *rep);
int stf__diff(pid_t past_pid, uint64_t past_root, struct stf_xfer_report *rep);

#endif /* STF_XFER_H */
