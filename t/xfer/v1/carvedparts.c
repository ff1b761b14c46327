/* SPDX-License-Identifier: GPL-3.0-or-later */
/* 8 MiB of memcached-shaped slab pages: 1 MiB blocks of a site with no
 * type, carved into items (a header of links, then the key as bytes)
 * that a typed hash table points to, the LRU list running across the
 * pages; kept at their address, their words classified.  Enough for the
 * transform to be cut in parts (see carvedparts.sh). */
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

int main(void)
{
	init();
	XT_V1_LOOP();
}
