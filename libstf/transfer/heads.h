/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * heads.h - the typed head of an allocator's block (heads.c).
 */
#ifndef STF_TRANSFER_HEADS_H
#define STF_TRANSFER_HEADS_H

#include "engine.h"

/* The struct a container block starts with, by its allocation site's
 * type (a pool's header); size 0 when its head stays untyped. */
struct stf_head {
	const struct stf_meta_unit *su, *du; /* its type in the source, the destination */
	uint32_t st, dt;
	uint64_t size;
};

/* The head of container o of peer p, by p's own types: its size (with
 * *u, *t), 0 if it has none. */
uint64_t stf__peer_head(const struct stf_peer *p, const struct stf_obj *o,
			const struct stf_meta_unit **u, uint32_t *t);

/* The head of source object i in transfer x, typed on both sides: 0 with
 * h->size set (0: untyped, as the rest of the block), or -1 when the
 * destination's head takes another size (x failed, naming the block). */
int stf__xfer_head(struct stf_xfer *x, size_t i, struct stf_head *h);

#endif
