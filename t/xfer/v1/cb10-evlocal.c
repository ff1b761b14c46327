/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Blocks whose only pointer is in a library's memory: the argument of
 * libevent's events (`event_new(NULL, -1, 0, on_read, ctx)`), from sites
 * of no type, a `void *` local (`void *ctx = malloc(sizeof(struct
 * conn))`) and a function returning `void *` (`make_conn(i)`); only the
 * functions given the value say what it is (`struct conn *c = arg`).
 * Version 2 extends struct conn: the blocks must arrive as version 2's
 * struct, or the update must refuse them. */
#include <event2/event.h>
#include "xt.h"

struct conn {
	int fd;
	unsigned long hits;
	char name[16];
};

static struct event *evs[4];

static void on_read(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	(void)fd;
	(void)what;
	c->hits++;
}

static void conn_init(void *arg, int i)
{
	struct conn *c = arg;
	c->fd = 10 + i;
	c->hits = 100 + i;
	snprintf(c->name, sizeof(c->name), "conn%d", i);
}

static void *make_conn(int i)
{
	void *p = malloc(sizeof(struct conn));
	conn_init(p, i);
	return p;
}

static __attribute__((noinline)) void init(void)
{
	for (int i = 0; i < 2; i++) {
		void *ctx = malloc(sizeof(struct conn));
		conn_init(ctx, i);
		evs[i] = event_new(NULL, -1, 0, on_read, ctx);
	}
	for (int i = 2; i < 4; i++)
		evs[i] = event_new(NULL, -1, 0, on_read, make_conn(i));
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
