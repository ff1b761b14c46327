/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A size-prefixing STF_ALLOCATOR whose header counts the block in 8-byte
 * words (`h->words = (n + 7) / 8`), a form the transfer cannot rewrite
 * for a new size; its entries grow in version 2.  The update must roll
 * back naming the wrapper: committed, the header would go on saying the
 * old size, and version 2's realloc (a copy of words * 8 bytes) would
 * drop the grown entries' values. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "xt.h"

struct hdr {
	uint64_t magic;
	uint64_t words;
};

static void *xmalloc(size_t n) STF_ALLOCATOR;

static void *xmalloc(size_t n)
{
	struct hdr *h = malloc(sizeof *h + n);
	if (!h)
		abort();
	h->magic = 0x776f726473ull;
	h->words = (n + 7) / 8;
	return h + 1;
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
		struct entry *e = xmalloc(sizeof(*e));
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
