/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * typed-walk.h - a walk of the calling process's own typed state (its
 * statics and heap objects, member by member, element by element) for the
 * values an update renames after the transfer: pids (pids.c), pthread_t
 * (pthreads.c).
 *
 * INTERNAL.
 */
#ifndef STF_TYPED_WALK_H
#define STF_TYPED_WALK_H

#include <stddef.h>
#include <stdint.h>

#include "stf-format.h"

#define STF_WALK_DEPTH 32
#define STF_WALK_MEMO_UNITS 1024

struct stf_arena;

struct stf_typed_walk {
	/* Is a value of type t in unit u one the walk takes?  Only objects
	 * and members whose types can hold one are walked: a heap of a
	 * million objects of other types costs a look-up each. */
	int (*takes)(struct stf_typed_walk *w, const struct stf_meta_unit *u, uint32_t t);
	/* Every value on the way whose type can hold a taken one, of type t
	 * in unit u, size bytes at most at p: 1 if it is taken (not
	 * descended into). */
	int (*visit)(struct stf_typed_walk *w, const struct stf_meta_unit *u, uint32_t t,
		     uint8_t *p, uint64_t size);
	/* Walk every member of a union too (which one is live is not known):
	 * for values the visitor changes only when they are exactly one it
	 * knows (a thread handle: an address), never small numbers (pids). */
	int unions;
	/* where the walk is, formatted only for a message: the object, then
	 * a member name or (NULL) an element index per level */
	char object[256];
	struct stf_walk_at { const char *member; uint64_t index; } at[STF_WALK_DEPTH + 2];
	int depth;
	/* per unit, per type: 0 not known yet, 1 holds nothing taken, 2 may */
	struct stf_arena *arena;
	struct stf_walk_memo { const struct stf_meta_unit *u; uint8_t *may; }
		memo[STF_WALK_MEMO_UNITS];
	size_t nmemo, last;
};

/* "master.c:workers[2]" */
const char *stf__typed_walk_path(const struct stf_typed_walk *w, char *buf, size_t len);

/* Walk every static and heap object of the calling process (the heap only
 * if an allocation site's type can hold a taken value: a block of no
 * site type typed by inference as one holding it is missed).  -1 with
 * the reason in err if the state cannot be read. */
int stf__typed_walk_state(struct stf_typed_walk *w, char *err, size_t errlen);

#endif /* STF_TYPED_WALK_H */
