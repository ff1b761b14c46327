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

/* The problems one transfer lists: every problem found (object, member
 * path, value, what to do), not only the first, each text whole.  A
 * problem that does not fit whole is not listed but counted. */
#define STF_PROBLEMS_MAX   32
#define STF_PROBLEMS_BYTES 16384

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
	uint64_t nowhere;          /* pointer-typed values pointing nowhere (no
	                              object, no library: integers, pointers to
	                              freed blocks, garbage): kept as they are */
	uint64_t member_moved;     /* words of untyped memory pointing to a
	                              member of a pinned object that the new
	                              version moves: they follow the member */
	uint64_t bytes_words;      /* words of blocks typed as bytes relocated
	                              as pointers to functions and statics */
	uint64_t new_values;       /* members, elements and objects only the
	                              destination has, left with its own value
	                              (static initializer, startup) */
	uint64_t startup_freed;    /* forward: the new version's startup objects
	                              the transfer replaced, freed */
	uint64_t startup_kept;     /* forward: startup objects still reachable
	                              from the transferred state, kept */
	uint64_t unreached;        /* forward: old heap blocks only memory the
	                              transfer does not carry reached (main's
	                              initial stack, the C runtime's data):
	                              dropped (unreached.c) */
	uint64_t inplace;          /* forward: old objects transferred into the
	                              new startup's own, in place (inplace.c) */
	uint64_t pinned;           /* typed heap objects kept at their address
	                              (an untyped word points into them, or
	                              their address is a key) */
	uint64_t pinned_keys;      /* of which for their address is a key */
	uint64_t pinned_grown;     /* of which grown at their address, over
	                              blocks that moved (pinned-growth.c) */
	uint64_t int_addrs;        /* word-sized integers not of an address type
	                              (size_t, long) holding a heap block's
	                              address: their targets keep it
	                              (untyped-plan.c, plan_addr_word) */
	uint64_t epoll;            /* forward: epoll registrations whose data
	                              pointer is relocated at commit */
	uint64_t differences;      /* diff only: number of differences */
	double   seconds_metadata; /* loading the peer's metadata and catalog */
	double   seconds_transfer;
	uint32_t nproblems;        /* texts in problems[] */
	uint32_t problems_omitted; /* further problems, not listed */
	char     error[4608];      /* why it failed: the first problem */
	char     first_diff[4096]; /* diff only: the first difference */
	char     problems[STF_PROBLEMS_BYTES]; /* nproblems texts, each
	                              NUL-terminated, one after the other */
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
	STF_FAULT_WAKE_LIBRARY,   /* F, at the commit: wake a library thread of the
	                           * old version (lib-restart.c) */
};

struct stf_parked_frame;
/* The calling thread's own update-point frame (the one handed to
 * stf__ctl_update_point_reached).  ctl.c sets it in F before
 * stf__xfer_forward and in R before stf__xfer_serve; its locals are the
 * destination (F, R) and source (F, backward) of the update-point locals.
 * The struct is copied; the locals array it points to must stay valid. */
void stf__xfer_set_frame(const struct stf_parked_frame *frame);

/* ttst-ctl update --strict: a value in a pointer slot that points nowhere
 * refuses the update instead of being kept (set by ctl.c before forward). */
void stf__xfer_set_strict(int strict);

/* List a problem in the report (whole, or counted as omitted when the
 * list is full); the first one is also rep->error.  Identical texts are
 * listed once. */
void stf__report_problem(struct stf_xfer_report *rep, const char *text);

int stf__xfer_forward(pid_t past_pid, uint64_t past_root,
		      struct stf_xfer_report *rep);
int stf__xfer_backward(int conn, pid_t rev_pid, uint64_t rev_root,
		       struct stf_xfer_report *rep);
int stf__xfer_serve(int conn, struct stf_xfer_report *rep);
int stf__diff(pid_t past_pid, uint64_t past_root, struct stf_xfer_report *rep);
/* R, at its update point before the backward transfer: the past's side
 * of stf__diff (P is frozen meanwhile), kept for it.  -1 if it failed:
 * stf__diff then does it itself. */
int stf__diff_prepare(pid_t past_pid, uint64_t past_root);

#endif /* STF_XFER_H */
