/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Two slab pages of flexpage16 (see there) whose items are linked across
 * the pages, each item's payload (in the first item's data[], raw bytes)
 * holding the address of a typed heap object of its own, of a function
 * and of a static, as memcached's items hold their neighbours and a
 * connection's buffers hold anything.  Both pages keep their address and
 * the words of their flexible arrays are classified like an untyped
 * block's: the typed objects they point to keep their address too (the
 * words stay right), the function and the static are relocated. */
#include "xt.h"

#define PAGE 4096
#define CHUNK 128
#define PER_PAGE (PAGE / CHUNK)
#define NITEMS (2 * PER_PAGE)

struct item {
	struct item *next, *prev;
	long key;
	union {
		unsigned long cas;
		char end;
	} data[];
};

struct owner {
	long magic;
	struct owner *self;
};

/* an item's payload, written into its chunk after the header */
struct payload {
	struct owner *owner;
	long (*fn)(long);
	long *counter;
	char text[24];
};

static struct item *first;
static void *pages[2];
static struct owner *owners[NITEMS];
static long counter = 42;

static long twice(long v)
{
	return 2 * v;
}

static void *page_alloc(size_t size)
{
	void *ret = malloc(size);
	return ret;
}

/* item k alternates between the pages: its neighbours are in the other */
static struct item *chunk(int k)
{
	return (struct item *)((char *)pages[k % 2] + (k / 2) * CHUNK);
}

static struct payload *payload_of(struct item *it)
{
	return (struct payload *)((char *)it + sizeof(struct item));
}

static void init(void)
{
	pages[0] = page_alloc(PAGE);
	pages[1] = page_alloc(PAGE);
	struct item *prev = NULL;
	for (int k = 0; k < NITEMS; k++) {
		struct item *it = chunk(k);
		struct payload pl = { NULL, twice, &counter, "" };
		owners[k] = malloc(sizeof(struct owner));
		owners[k]->magic = 1000 + k;
		owners[k]->self = owners[k];
		pl.owner = owners[k];
		snprintf(pl.text, sizeof(pl.text), "item %d", k);
		memcpy(payload_of(it), &pl, sizeof(pl));
		it->key = k;
		it->prev = prev;
		it->next = NULL;
		if (prev)
			prev->next = it;
		else
			first = it;
		prev = it;
	}
}

/* every item by next, its payload too (version 1 walks them as well: at
 * -O2 the state it keeps must be read) */
static void check_items(void)
{
	int n = 0;
	char want[24];
	for (struct item *it = first, *prev = NULL; it; prev = it, it = it->next, n++) {
		struct payload pl;
		memcpy(&pl, payload_of(it), sizeof(pl));
		snprintf(want, sizeof(want), "item %d", n);
		CHECK(it->key == n && it->prev == prev && it == chunk(n));
		CHECK(pl.owner == owners[n] && pl.owner->magic == 1000 + n && pl.owner->self == pl.owner);
		CHECK(pl.fn == twice && pl.fn(n) == 2 * n);
		CHECK(pl.counter == &counter && *pl.counter == 42);
		CHECK(!strcmp(pl.text, want));
	}
	CHECK(n == NITEMS);
}

XT_MAIN_CHECKED(init, check_items)
