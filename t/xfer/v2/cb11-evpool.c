/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of cb11-evpool.c: struct conn gains members before hits;
 * with -DCONN_SAME_SIZE its members are reordered in the same size. */
#include <stdint.h>
#include <event2/event.h>
#include "xt.h"

#define POOL_SIZE 4096

struct pool {
	char *last, *end;
	unsigned long failed;
};

#ifdef CONN_SAME_SIZE
struct conn {
	int fd;
	int prio;
	char name[16];
	unsigned long hits;
};
#else
struct conn {
	int fd;
	int prio;
	unsigned long started;
	unsigned long hits;
	char name[16];
};
#endif

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
	XT_V2_RECEIVE(init);
	for (int i = 0; i < 3; i++) {
		struct conn *c = event_get_callback_arg(evs[i]);
		char want[16];
		snprintf(want, sizeof(want), "conn%d", i);
		CHECK(c->fd == 10 + i && c->hits == 100u + i && !strcmp(c->name, want));
		CHECK(c->prio == 0);
#ifndef CONN_SAME_SIZE
		CHECK(c->started == 0);
#endif
	}
	CHECK(pool->failed == 0 && pool->end - pool->last <= 4096);
	XT_V2_RESULT();
}
