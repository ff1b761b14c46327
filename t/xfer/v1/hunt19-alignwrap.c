/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A wrapper aligning its objects to 64 bytes (cache lines) by hand: it
 * takes n + 64 + 8 bytes of malloc, returns the first 64-byte boundary
 * past 8 bytes in, and keeps malloc's pointer in the word before it,
 * which its free reads (`free(((void **)p)[-1])`).  Declared
 * STF_ALLOCATOR.  The per-worker counters it allocates grow in version 2:
 * after the commit each must still be 64-byte aligned and the word before
 * it must be the start of its malloc block (version 2 frees it and
 * allocates it again). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "xt.h"

#define LINE 64
#define NWORKERS 4

static void *aligned_new(size_t n) STF_ALLOCATOR;

static void *aligned_new(size_t n)
{
	char *raw = malloc(n + LINE + sizeof(void *));
	if (!raw)
		abort();
	uintptr_t a = ((uintptr_t)raw + sizeof(void *) + LINE - 1) & ~(uintptr_t)(LINE - 1);
	((void **)a)[-1] = raw;
	return (void *)a;
}

static void aligned_free(void *p)
{
	free(((void **)p)[-1]);
}

struct counter {
#ifdef V2
	long limit; /* new in 2 */
#endif
	long hits;
	long misses;
	struct counter *peer;
};

static struct counter *workers[NWORKERS];

static void init(void)
{
	for (int i = 0; i < NWORKERS; i++) {
		workers[i] = aligned_new(sizeof(struct counter));
		workers[i]->hits = 10 * i + 1;
		workers[i]->misses = i;
	}
	for (int i = 0; i < NWORKERS; i++)
		workers[i]->peer = workers[(i + 1) % NWORKERS];
}

static void check(void)
{
	for (int i = 0; i < NWORKERS; i++) {
		struct counter *c = workers[i];
		CHECK((uintptr_t)c % LINE == 0);
		CHECK(c->hits == 10 * i + 1 && c->misses == i);
		CHECK(c->peer == workers[(i + 1) % NWORKERS]);
	}
#ifdef V2
	/* the word before each counter is its malloc block: free one and
	 * allocate it again */
	struct counter *c = aligned_new(sizeof(*c));
	*c = *workers[0];
	workers[NWORKERS - 1]->peer = c;
	aligned_free(workers[0]);
	workers[0] = c;
	CHECK(workers[NWORKERS - 1]->peer->hits == 1);
#endif
}

XT_MAIN_CHECKED(init, check)
