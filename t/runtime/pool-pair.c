/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * pool-pair - pool_alloc + pool_free pairs of a program's own pool
 * declared STF_ALLOCATOR, for pool-pair-cost.sh, which counts the
 * instructions of run_pairs (callgrind) built plain and with the plugin:
 * 64-byte records from 64 KiB chunks, replaced at random in a live window
 * of 1,024, as bench/pool-bench.c's `random` pattern does.
 */
#include <stdlib.h>

#include "stf.h"

#define PAIRS 100000
#define WINDOW 1024
#define CHUNK 65536

struct conn {
	struct conn *next;
	long fd;
	char name[48];
};

struct pool {
	struct conn *free;
	char *chunk;
	size_t used;
};

STF_ALLOCATOR static struct conn *conn_alloc(struct pool *p)
{
	struct conn *c = p->free;
	if (c) {
		p->free = c->next;
		return c;
	}
	if (!p->chunk || p->used + sizeof *c > CHUNK) {
		p->chunk = malloc(CHUNK);
		if (!p->chunk)
			abort();
		p->used = 0;
	}
	c = (struct conn *)(p->chunk + p->used);
	p->used += sizeof *c;
	return c;
}

static void conn_free(struct pool *p, struct conn *c)
{
	c->next = p->free;
	p->free = c;
}

static struct pool pool;
static struct conn *set[WINDOW];

/* The pairs: what the count covers. */
__attribute__((noinline)) static void run_pairs(void)
{
	unsigned seed = 12345;
	for (long i = 0; i < PAIRS; i++) {
		seed = seed * 1103515245u + 12345u;
		unsigned k = (seed >> 8) % WINDOW;
		conn_free(&pool, set[k]);
		set[k] = conn_alloc(&pool);
		set[k]->fd = i;
	}
}

int main(void)
{
	for (int k = 0; k < WINDOW; k++)
		set[k] = conn_alloc(&pool);
	run_pairs();
	return 0;
}
