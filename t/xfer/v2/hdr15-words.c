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

static struct hdr *header(void *p)
{
	return (struct hdr *)p - 1;
}

/* a realloc of its own: copies what the header says the block holds */
static void *xrealloc_copy(void *p, size_t n)
{
	void *q = xmalloc(n);
	size_t had = header(p)->words * 8;
	memset(q, 0, n);
	memcpy(q, p, had < n ? had : n);
	free(header(p));
	return q;
}

struct entry {
	struct entry *next;
	long key;
	long hits; /* new in 2 */
	long value;
};

static struct entry *entries;

static __attribute__((noinline)) void init(void)
{
	for (long i = 0; i < 8; i++) {
		struct entry *e = xmalloc(sizeof(*e));
		e->next = entries;
		e->key = i;
		e->hits = 0;
		e->value = 100 * i + 7;
		entries = e;
	}
}

int main(void)
{
	XT_V2_RECEIVE(init);
	for (struct entry **pp = &entries; *pp; pp = &(*pp)->next)
		*pp = xrealloc_copy(*pp, sizeof(**pp));
	long n = 0;
	for (struct entry *e = entries; e; e = e->next, n++)
		CHECK(e->value == 100 * e->key + 7 && e->hits == 0);
	CHECK(n == 8);
	XT_V2_RESULT();
}
