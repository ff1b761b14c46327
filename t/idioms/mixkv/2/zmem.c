/* SPDX-License-Identifier: GPL-3.0-or-later */
/* zmem - mixkv's allocators: a size-prefixing wrapper around malloc (a
 * 16-byte header with the size and a magic) and a pool of 4 KiB chunks. */
#include <stdlib.h>
#include <string.h>
#include "zmem.h"

size_t zused;

struct zhdr { size_t size; size_t magic; };
#define ZMAGIC 0x5a4d454dUL

void *zmalloc(size_t n)
{
	struct zhdr *h = malloc(sizeof *h + n);
	if (!h) abort();
	h->size = n; h->magic = ZMAGIC;
	zused += n;
	return h + 1;
}
void *zcalloc(size_t n) { void *p = zmalloc(n); memset(p, 0, n); return p; }
void zfree(void *p)
{
	if (!p) return;
	struct zhdr *h = (struct zhdr *)p - 1;
	if (h->magic != ZMAGIC) abort();
	zused -= h->size;
	h->magic = 0;
	free(h);
}
size_t zsize(void *p) { return ((struct zhdr *)p - 1)->size; }

struct chunk { struct chunk *next; size_t used; char mem[4096]; };
struct pool { struct chunk *chunks; size_t nalloc; };

struct pool *pool_new(void) { return calloc(1, sizeof(struct pool)); }
void *pool_alloc(struct pool *p, size_t n)
{
	n = (n + 15) & ~(size_t)15;
	if (!p->chunks || p->chunks->used + n > sizeof p->chunks->mem) {
		struct chunk *c = malloc(sizeof *c);
		if (!c) abort();
		c->next = p->chunks; c->used = 0; p->chunks = c;
	}
	void *r = p->chunks->mem + p->chunks->used;
	p->chunks->used += n;
	p->nalloc++;
	return r;
}
void pool_reset(struct pool *p)
{
	while (p->chunks) { struct chunk *c = p->chunks; p->chunks = c->next; free(c); }
	p->nalloc = 0;
}
