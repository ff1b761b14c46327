/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* sort-keys.h - a stable radix sort of (key, payload) pairs (sort-keys.c). */
#ifndef STF_SORT_KEYS_H
#define STF_SORT_KEYS_H

#include <stddef.h>
#include <stdint.h>

struct stf_key {
	uint64_t id;
	size_t idx;
};

/* Sort k[0..n) by id, stably.  0, or -1 without memory. */
int stf__sort_keys(struct stf_key *k, size_t n);

#endif
