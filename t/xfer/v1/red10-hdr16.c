/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A wrapper keeping a 16-byte header (magic, size) in front of what it
 * returns (`return p + 2` of a `uint64_t *p = malloc(16 + n)`), not
 * declared STF_ALLOCATOR.  Its entries hold pointers and grow in version 2
 * (a member before the value): the update must roll back naming the
 * wrapper, never commit with the entries copied short. */
#include <stdint.h>
#include <stdlib.h>
#include "xt.h"

static size_t bytes_used;

static void *xalloc(size_t n)
{
	uint64_t *p = malloc(2 * sizeof(uint64_t) + n);
	if (!p)
		abort();
	p[0] = 0x5842424b564b5242ull;
	p[1] = n;
	bytes_used += n;
	return p + 2;
}

struct entry {
	struct entry *next;
	long key;
	long value;
};

static struct entry *entries;

static __attribute__((noinline)) void init(void)
{
	for (long i = 0; i < 8; i++) {
		struct entry *e = xalloc(sizeof(*e));
		e->next = entries;
		e->key = i;
		e->value = 100 * i + 7;
		entries = e;
	}
}

int main(void)
{
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
