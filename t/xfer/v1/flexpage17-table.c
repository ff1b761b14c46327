/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A slab page of flexpage16 (see there) whose items hold no address:
 * nothing links them, a typed table points to each (a hash table's
 * buckets), their payload is text.  The page is typed as one struct item
 * by the table's pointer to its start, and the other items are bytes of
 * its flexible data[]; with no address there, it may move, the table's
 * pointers following it.  With -DCHANGED version 2's struct item swaps
 * its members (the same size): the items after the first cannot follow
 * the change (on main the update committed and version 2 read every item
 * but the first swapped); the update rolls back naming the table's
 * pointer and STF_ALLOCATOR.  With -DBYTES_PAGE the page's site types it
 * as bytes (`char *page = page_alloc(...)`): not typed by the table, it is
 * copied as bytes, and a change of struct item rolls back likewise (it
 * committed wrong before). */
#include "xt.h"

#define PAGE 4096
#define CHUNK 64
#define NITEMS (PAGE / CHUNK)

#if defined(V2) && defined(CHANGED)
struct item { /* the same size, the members swapped */
	long key;
	unsigned long hash;
	char data[];
};
#else
struct item {
	unsigned long hash;
	long key;
	char data[];
};
#endif

static struct item *table[NITEMS];
static void *pages[1]; /* memcached's slab_list */

static void *page_alloc(size_t size)
{
	void *ret = malloc(size);
	return ret;
}

static void init(void)
{
#ifdef BYTES_PAGE
	char *page = page_alloc(PAGE); /* the site's only use: bytes */
#else
	char *page = pages[0] = page_alloc(PAGE);
#endif
	for (int k = 0; k < NITEMS; k++) {
		struct item *it = (struct item *)(page + k * CHUNK);
		it->hash = 7u * k;
		it->key = k;
		snprintf(it->data, CHUNK - sizeof(*it), "value %d", k);
		table[k] = it;
	}
}

/* every item through the table (version 1 reads them too: at -O2 the
 * state it keeps must be read) */
static void check_items(void)
{
	char want[32];
	for (int k = 0; k < NITEMS; k++) {
		snprintf(want, sizeof(want), "value %d", k);
		CHECK(table[k]->key == k && table[k]->hash == 7u * k);
		CHECK(!strcmp(table[k]->data, want));
	}
}

XT_MAIN_CHECKED(init, check_items)
