/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * sweep.h - the sweep of the new version's startup objects after the
 * forward transfer: what its two files share.
 *
 * INTERNAL.  startup.c marks the startup's blocks the new version still
 * reaches and frees the others; startup-fds.c closes the descriptors only
 * freed (or overwritten) memory named.  Both scan the same roots, with
 * one struct sweep: its fd_pass says whether a scan marks blocks or
 * looks for descriptor numbers.
 */
#ifndef STF_SWEEP_H
#define STF_SWEEP_H

#include <link.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "index.h"

struct stf_obj;
struct stf_peer;
struct stf_xfer;

/* Descriptors below this number are looked for in memory; libstf keeps
 * its own from there up (fds.c), or from 3/4 of a lower descriptor limit
 * (swept_fd_limit): those are never closed. */
#define MAX_SWEPT_FD 768

struct sweep {
	struct stf_range *cand;   /* candidates by address (value: marked) */
	size_t ncand;
	uint64_t lo, span;        /* the candidates lie in [lo, lo + span) */
	uint64_t *work;           /* candidates to scan */
	size_t nwork;
	/* the descriptor pass (sweep_fds): scan() looks for the startup's
	 * own descriptors as aligned ints instead of marking candidates */
	int fd_pass;                    /* FD_PASS_* */
	uint8_t want;                   /* the descriptors find_fds looks for */
	int in_stacks;                  /* the startup pass is in the stacks */
	uint8_t fd_state[MAX_SWEPT_FD]; /* FD_* */
	const struct stf_range *skip;   /* sorted: memory holding only the
					   old version's values */
	size_t nskip;
	uint64_t runtime_frames;        /* on this thread's stack, where the C
					   runtime's frames above the program's
					   begin (main's caller), 0 if unknown */
};

/* A candidate's value: */
#define CAND_KEPT 1u    /* reached: kept */
#define CAND_MAPPING 2u /* a mapping (munmap), not a heap block (free) */
#define CAND_UNHELD 4u  /* not reached but from the stacks: a base a thread
			   of the new version runs the loop of (loop-fds.c) */

#define FD_STARTUP 1u  /* opened by the new version's startup */
#define FD_IN_FREED 2u /* its number is in a block about to be freed */
#define FD_IN_KEPT 4u  /* ... and in memory the new version keeps */
#define FD_INHERITED 8u /* open in the old version, the same file, of an
			   event library's kind (event_kind) */
#define FD_LEFT 16u     /* ... and its number is in an old block the
			   transfer dropped */
#define FD_IN_LOOP 32u  /* the startup's, in a block only the stacks keep */
#define FD_NOTED 64u    /* inherited, noted by the update before as only a
			   running loop's (loop-fds.c) */

/* sweep.fd_pass: which descriptors the memory the new version keeps is
 * scanned for */
#define FD_PASS_STARTUP 1 /* the startup's (sweep_fds) */
#define FD_PASS_LEFT 2    /* the inherited ones dropped blocks named
			     (sweep_left_fds) */

/* startup.c: the roots, scanned for marks or, in a descriptor pass, for
 * descriptor numbers. */
void stf__sweep_scan(struct sweep *s, uint64_t start, uint64_t end);
/* dl_iterate_phdr: the writable data of the executable and libraries. */
int stf__sweep_image(struct dl_phdr_info *info, size_t size, void *arg);
/* The stacks from sp (the caller's) and every parked thread's; -1 if
 * /proc/self/maps cannot be read. */
int stf__sweep_stacks(struct sweep *s, struct stf_peer *dst, uint64_t sp);
/* stf__objects_each: a tracked object that is no candidate. */
int stf__sweep_object(void *ctx, uint64_t addr, uint64_t size, uint32_t kind);
/* qsort: struct stf_range by start. */
int stf__sweep_cmp_range(const void *a, const void *b);

/* startup-fds.c: the descriptors. */
/* [start, end) minus s->skip, for the descriptors s->want selects. */
void stf__sweep_find_fds_kept(struct sweep *s, uint64_t start, uint64_t end);
/* Fill s->fd_state from this process's and the past one's tables; -1 if
 * either cannot be read. */
int stf__sweep_startup_fds(struct sweep *s, pid_t past);
/* stf__loop_fds_past: an inherited descriptor the update before noted. */
void stf__sweep_mark_noted(void *ctx, int fd, const char *target);
/* The inherited descriptors the dropped old blocks named; whether any. */
int stf__sweep_find_fds_left(struct sweep *s, const struct stf_xfer *x);
/* The startup's descriptors the overwritten statics named; whether any. */
int stf__sweep_find_fds_overwritten(struct sweep *s, const struct stf_xfer *x);
/* After the marking: close what only freed memory named. */
void stf__sweep_fds(struct sweep *s, struct stf_xfer *x, size_t nstartup, uint64_t here);
void stf__sweep_left_fds(struct sweep *s, struct stf_xfer *x, size_t nstartup, uint64_t here);
/* Did an old object go into startup object o? */
int stf__sweep_taken_in_place(const struct stf_obj *o);

#endif /* STF_SWEEP_H */
