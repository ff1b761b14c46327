/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A calloc-like STF_ALLOCATOR with a size header, `xcalloc(count, size)`:
 * the header keeps count * size in a size_t before the block it returns
 * (n, its element count in a second word), and xrealloc grows a block
 * through it (a copy of header->bytes).  An array of records and a
 * single record grow in version 2: after the commit the header must say
 * the new size (xrealloc copies that much), or the update rolls back
 * naming the wrapper; it must never commit with the header short. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "xt.h"

#define NRECS 5

struct hdr {
	size_t bytes;
	size_t count;
};

static void *xcalloc(size_t count, size_t size) STF_ALLOCATOR __attribute__((alloc_size(1, 2)));

static void *xcalloc(size_t count, size_t size)
{
	struct hdr *h = calloc(1, sizeof(*h) + count * size);
	if (!h)
		abort();
	h->bytes = count * size;
	h->count = count;
	return h + 1;
}

static void *xrealloc(void *p, size_t count, size_t size)
{
	struct hdr *old = (struct hdr *)p - 1;
	void *q = xcalloc(count, size);
	memcpy(q, p, old->bytes < count * size ? old->bytes : count * size);
	free(old);
	return q;
}

struct rec {
	long id;
#ifdef V2
	long hits; /* new in 2 */
#endif
	char name[8];
};

struct table {
	struct rec *recs;
	size_t n;
};

static struct table *tab;

static void init(void)
{
	tab = xcalloc(1, sizeof(*tab));
	tab->n = NRECS;
	tab->recs = xcalloc(NRECS, sizeof(struct rec));
	for (int i = 0; i < NRECS; i++) {
		tab->recs[i].id = 100 + i;
		snprintf(tab->recs[i].name, sizeof(tab->recs[i].name), "r%d", i);
	}
}

static void check(void)
{
	struct hdr *h = (struct hdr *)tab->recs - 1;
	CHECK(h->bytes == NRECS * sizeof(struct rec) && h->count == NRECS);
	for (size_t i = 0; i < tab->n; i++) {
		char want[8];
		snprintf(want, sizeof(want), "r%zu", i);
		CHECK(tab->recs[i].id == 100 + (long)i && !strcmp(tab->recs[i].name, want));
	}
#ifdef V2
	/* grow the array through the header and check the old records */
	struct rec *more = xrealloc(tab->recs, NRECS, sizeof(struct rec));
	for (int i = 0; i < NRECS; i++)
		CHECK(more[i].id == 100 + i && more[i].hits == 0 && more[i].name[0] == 'r');
	tab->recs = more;
#endif
}

XT_MAIN_CHECKED(init, check)
