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

struct entry {
	struct entry *next;
	long key;
	long value;
};

struct rec {
	long a;
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
		e->value = 100 * i + 7;
		entries = e;
	}
	recs = xmalloc(NRECS * sizeof(*recs));
	for (long i = 0; i < NRECS; i++) {
		recs[i].a = i;
		recs[i].b = 2 * i + 1;
	}
}

int main(void)
{
	if (!stf_is_updating()) {
		init();
		if (!entries || !recs) /* read: kept at -O2 */
			abort();
	}
	XT_V1_LOOP();
}
