/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Events' arguments carved out of a pool (an STF_ALLOCATOR pool_alloc)
 * and handed straight to event_new: `event_new(NULL, -1, 0, on_read,
 * pool_alloc(pool, sizeof(struct conn)))`.  The sub-objects' only
 * pointers are in libevent's memory; the callback says what they are
 * (`struct conn *c = arg`).  Version 2 grows struct conn: the sub-objects
 * must arrive as version 2's struct. */
#include <stdint.h>
#include <event2/event.h>
#include "xt.h"

#define POOL_SIZE 4096

struct pool {
	char *last, *end;
	unsigned long failed;
};

struct conn {
	int fd;
	unsigned long hits;
	char name[16];
};

STF_ALLOCATOR void *pool_alloc(struct pool *pool, size_t size);

void *pool_alloc(struct pool *pool, size_t size)
{
	char *m = (char *)(((uintptr_t)pool->last + 15) & ~(uintptr_t)15);
	if ((size_t)(pool->end - m) < size) {
		pool->failed++;
		return NULL;
	}
	pool->last = m + size;
	return m;
}

static struct pool *pool;
static struct event *evs[3];

static void on_read(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	(void)fd;
	(void)what;
	c->hits++;
}

static __attribute__((noinline)) void init(void)
{
	pool = malloc(sizeof(*pool));
	pool->last = malloc(POOL_SIZE);
	pool->end = pool->last + POOL_SIZE;
	pool->failed = 0;
	for (int i = 0; i < 3; i++) {
		evs[i] = event_new(NULL, -1, 0, on_read, pool_alloc(pool, sizeof(struct conn)));
		struct conn *c = event_get_callback_arg(evs[i]);
		c->fd = 10 + i;
		c->hits = 100 + i;
		snprintf(c->name, sizeof(c->name), "conn%d", i);
	}
}

int main(void)
{
	if (!stf_is_updating()) {
		init();
		for (unsigned i = 0; i < sizeof(evs) / sizeof(evs[0]); i++)
			if (!event_get_callback_arg(evs[i]))
				abort(); /* read at -O2 */
	}
	XT_V1_LOOP();
}
