/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Objects from the C library's aligned allocators that grow in version 2:
 * per-thread counters from posix_memalign(64) (a cache line each, so
 * that two threads never share one) and a page from aligned_alloc(4096)
 * holding a ring of slots.  Moved to blocks of the new size they must
 * keep their alignment (version 2 checks it, as code using aligned
 * vector loads or page-granular mprotect relies on it), and stay
 * freeable by free(). */
#include <stdint.h>
#include <stdlib.h>
#include "xt.h"

#define NCOUNTERS 4
#define NSLOTS 32

struct counter {
#ifdef V2
	long drops; /* new in 2 */
#endif
	long hits;
	struct counter *next;
};

struct ring {
#ifdef V2
	long generation; /* new in 2 */
#endif
	unsigned head, tail;
	long slot[NSLOTS];
};

static struct counter *counters;
static struct ring *ring;

static void init(void)
{
	for (int i = 0; i < NCOUNTERS; i++) {
		void *p;
		if (posix_memalign(&p, 64, sizeof(struct counter)))
			abort();
		struct counter *c = p;
		c->hits = 1000 + i;
		c->next = counters;
		counters = c;
	}
	ring = aligned_alloc(4096, 4096);
	ring->head = 3;
	ring->tail = 7;
	for (int i = 0; i < NSLOTS; i++)
		ring->slot[i] = i * i;
}

static void check(void)
{
	int n = 0;
	for (struct counter *c = counters; c; c = c->next, n++) {
		CHECK((uintptr_t)c % 64 == 0);
		CHECK(c->hits == 1000 + NCOUNTERS - 1 - n);
	}
	CHECK(n == NCOUNTERS);
	CHECK((uintptr_t)ring % 4096 == 0 && ring->head == 3 && ring->tail == 7);
	for (int i = 0; i < NSLOTS; i++)
		CHECK(ring->slot[i] == i * i);
#ifdef V2
	CHECK(counters->drops == 0 && ring->generation == 0);
#endif
}

XT_MAIN_CHECKED(init, check)
