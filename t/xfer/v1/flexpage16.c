/* SPDX-License-Identifier: GPL-3.0-or-later */
/* memcached's slab page in small: page_alloc() (memcached's
 * memory_allocate) returns an untyped block, carved into items of
 * CHUNK bytes by the program itself; struct item ends in a flexible
 * array (memcached's data[]), and `first` points to the page's start, so
 * the transfer types the page as one struct item whose data[] covers the
 * other items.  The items are linked in a doubly linked list (next,
 * prev), all inside the page: no untyped word of another block keeps the
 * page at its address.  Moved, the links in data[] would be copied as
 * bytes and point into the old version's memory (memcached 1.6.45
 * crashed on such a prev after its second chained update): the page keeps
 * its address, the words of data[] classified like an untyped block's.
 * With -DCHANGED version 2's struct item gains a member: the items after
 * the first cannot follow it, and the update rolls back naming the page. */
#include "xt.h"

#define PAGE 4096
#define CHUNK 96
#define NITEMS (PAGE / CHUNK)

struct item {
	struct item *next, *prev;
#if defined(V2) && defined(CHANGED)
	long added;
#endif
	long key;
	union {
		unsigned long cas;
		char end;
	} data[];
};

static struct item *first, *last;
static void *pages[1]; /* memcached's slab_list */

static void *page_alloc(size_t size)
{
	void *ret = malloc(size);
	return ret;
}

static struct item *chunk(void *page, int k)
{
	return (struct item *)((char *)page + k * CHUNK);
}

static void init(void)
{
	pages[0] = page_alloc(PAGE);
	struct item *prev = NULL;
	for (int k = 0; k < NITEMS; k++) {
		struct item *it = chunk(pages[0], k);
		it->key = k;
		it->prev = prev;
		it->next = NULL;
		if (prev)
			prev->next = it;
		else
			first = it;
		prev = it;
	}
	last = prev;
}

/* every item by next and prev (version 1 walks them too: at -O2 the
 * state it keeps must be read) */
static void check_items(void)
{
	int n = 0;
	for (struct item *it = first, *prev = NULL; it; prev = it, it = it->next, n++)
		CHECK(it->key == n && it->prev == prev);
	CHECK(n == NITEMS && last->key == NITEMS - 1);
}

XT_MAIN_CHECKED(init, check_items)
