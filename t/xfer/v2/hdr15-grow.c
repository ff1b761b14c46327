/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A size-prefixing STF_ALLOCATOR (a 16-byte header {magic, size} and a
 * used-memory counter, Redis's zmalloc shape) whose objects grow in
 * version 2: a list of entries and an array of records.  After the commit
 * the program reallocates them through the header (a copy of header->size
 * bytes) and frees them (the counter takes header->size back): the header
 * must say the new size, else the copy drops the grown objects' tails,
 * and the counter must count it, else it ends wrong. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "xt.h"

#define MAGIC 0x68647231356d656dull
#define NRECS 4

struct hdr {
	uint64_t magic;
	uint64_t size;
};

static size_t used_memory;

static void *xmalloc(size_t n) STF_ALLOCATOR;

static void *xmalloc(size_t n)
{
	struct hdr *h = malloc(sizeof *h + n);
	if (!h)
		abort();
	h->magic = MAGIC;
	h->size = n;
	used_memory += n;
	return h + 1;
}

static struct hdr *header(void *p)
{
	return (struct hdr *)p - 1;
}

static void xfree(void *p)
{
	struct hdr *h = header(p);
	used_memory -= h->size;
	free(h);
}

/* a realloc of its own: copies what the header says the block holds */
static void *xrealloc_copy(void *p, size_t n)
{
	void *q = xmalloc(n);
	size_t had = header(p)->size;
	memset(q, 0, n);
	memcpy(q, p, had < n ? had : n);
	xfree(p);
	return q;
}

struct entry {
	struct entry *next;
	long key;
	long hits; /* new in 2 */
	long value;
};

struct rec {
	long a;
	long c; /* new in 2 */
	long b;
};

static struct entry *entries;
static struct rec *recs;

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
	recs = xmalloc(NRECS * sizeof(*recs));
	for (long i = 0; i < NRECS; i++) {
		recs[i].a = i;
		recs[i].c = 0;
		recs[i].b = 2 * i + 1;
	}
}

int main(void)
{
	XT_V2_RECEIVE(init);
	size_t sum = 0;
	long n = 0;
	for (struct entry *e = entries; e; e = e->next, n++) {
		CHECK(header(e)->magic == MAGIC && header(e)->size == sizeof(*e));
		sum += header(e)->size;
	}
	CHECK(header(recs)->magic == MAGIC && header(recs)->size == NRECS * sizeof(*recs));
	sum += header(recs)->size;
	CHECK(n == 8 && used_memory == sum);

	for (struct entry **pp = &entries; *pp; pp = &(*pp)->next)
		*pp = xrealloc_copy(*pp, sizeof(**pp));
	recs = xrealloc_copy(recs, 2 * NRECS * sizeof(*recs));
	n = 0;
	for (struct entry *e = entries; e; e = e->next, n++)
		CHECK(e->value == 100 * e->key + 7 && e->hits == 0);
	for (long i = 0; i < NRECS; i++)
		CHECK(recs[i].a == i && recs[i].c == 0 && recs[i].b == 2 * i + 1);
	CHECK(n == 8);

	while (entries) {
		struct entry *e = entries;
		entries = e->next;
		xfree(e);
	}
	xfree(recs);
	CHECK(used_memory == 0);
	XT_V2_RESULT();
}
