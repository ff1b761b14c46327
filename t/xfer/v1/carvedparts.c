/* SPDX-License-Identifier: GPL-3.0-or-later */
/* 8 MiB of memcached-shaped slab pages: 1 MiB blocks of a site with no
 * type, carved into items (a header of links, then the key as bytes)
 * that a typed hash table points to, the LRU list running across the
 * pages; kept at their address, their words classified.  Enough for the
 * transform to be cut in parts (see carvedparts.sh).  Version 2 (this
 * file with V2 defined) has the same types (a carved page's struct cannot
 * change) and finds every item on the LRU list, in its hash chain, with
 * its key and owner. */
#include <stdint.h>
#include "xt.h"

#define PAGES 8
#define PAGE (1u << 20)

struct client {
	long id;
	struct client *next;
};

struct item {
	struct item *next, *prev; /* the LRU, across pages */
	struct item *h_next;      /* the hash chain */
	struct client *owner;
	uint32_t nbytes;
	uint8_t nkey, clsid;
	char data[];              /* the key, raw bytes */
};

#define TABLE 4096
static struct item *table[TABLE];
static struct item *lru;
static struct client *clients;
static size_t nitems;

static __attribute__((noinline)) void *page_new(void)
{
	return malloc(PAGE);
}

static __attribute__((noinline)) void init(void)
{
	for (long c = 0; c < 4; c++) {
		struct client *cl = malloc(sizeof(*cl));
		cl->id = c;
		cl->next = clients;
		clients = cl;
	}
	for (int p = 0; p < PAGES; p++) {
		char *page = page_new();
		uint32_t size = p % 2 ? 128 : 256;
		for (uint32_t off = 0; off + size <= PAGE; off += size, nitems++) {
			struct item *it = (struct item *)(page + off);
			it->nkey = (uint8_t)snprintf(it->data, 32, "key:%zu", nitems);
			it->clsid = (uint8_t)(p % 2);
			it->nbytes = size - (uint32_t)sizeof(*it);
			it->owner = nitems % 4 ? NULL : clients;
			it->prev = NULL;
			it->next = lru;
			if (lru)
				lru->prev = it;
			lru = it;
			it->h_next = table[nitems % TABLE];
			table[nitems % TABLE] = it;
		}
	}
}

#ifndef V2
int main(void)
{
	init();
	XT_V1_LOOP();
}
#else
int main(void)
{
	XT_V2_RECEIVE(init);
	char key[32];
	size_t n = nitems, chained = 0;
	const struct item *after = NULL;
	for (const struct item *it = lru; it; after = it, it = it->next) {
		size_t i = --n;
		snprintf(key, sizeof(key), "key:%zu", i);
		CHECK(!strcmp(it->data, key) && it->nkey == strlen(key));
		CHECK(it->prev == after);
		CHECK(it->owner == (i % 4 ? NULL : clients) && (!it->owner || it->owner->id == 3));
		if (xt_fails)
			break;
	}
	CHECK(n == 0);
	for (size_t b = 0; b < TABLE; b++)
		for (const struct item *it = table[b]; it; it = it->h_next)
			chained++;
	CHECK(chained == nitems && nitems > 40000);
	XT_V2_RESULT();
}
#endif
