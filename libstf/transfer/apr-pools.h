/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * apr-pools.h - the words of APR's pool nodes (apr-pools.c): APR's own
 * positions in a node, and the user data the program gave APR.
 */
#ifndef STF_TRANSFER_APR_POOLS_H
#define STF_TRANSFER_APR_POOLS_H

#include <stdint.h>

#include "engine.h"

/* What a word of an APR node is (stf__apr_word). */
enum stf_apr_word {
	STF_APR_NONE = 0, /* unknown: classified like any untyped word */
	STF_APR_OWN,	  /* APR's own position in its node (its free cursor, a
			     pool's mark of its first free byte) or a dead
			     entry's stale value: kept as it is, pins nothing */
	STF_APR_USER,	  /* the user data of a live cleanup or hash entry,
			     handed back as it is: relocated like a typed
			     pointer when it points to the start of one */
};

/* F, before the forward transfer allocates anything: whether the loaded
 * APR lays out its nodes, pools, cleanups and hashes as APR 1.7 does,
 * checked on scratch ones (nothing if APR is not loaded). */
void stf__apr_measure(void);
/* Before planning a direction: finds the words of x->src's APR nodes
 * (x->apr), and forgets the objects apr_palloc'd whose pool died (they
 * are their node's bytes).  0, or -1 (out of memory). */
int stf__apr_walk(struct stf_xfer *x);
/* The diff: the objects of p apr_palloc'd whose pool died since (the
 * transfer forgets them too).  0, or -1 (out of memory). */
int stf__apr_forget_dead(struct stf_peer *p);
/* Forward, after stf__apr_walk: -1 (every problem reported) when an APR
 * array's elements may be a program struct whose layout changes (they
 * cannot be converted). */
int stf__check_apr_arrays(struct stf_xfer *x);
/* The word at offset off of source object holder. */
enum stf_apr_word stf__apr_word(const struct stf_xfer *x, const struct stf_obj *holder,
				uint64_t off);

#endif
