/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Two kinds of events whose arguments are of two structs, from sites of
 * no type (`void *ctx = malloc(sizeof(struct conn))`): each event_new
 * passes its own callback, which says what its argument is (`struct conn
 * *c = arg`, `struct tick *t = arg`), and the code also reads both kinds
 * back through event_get_callback_arg, whose results are used as either
 * struct.  Version 2 grows both structs: each block must arrive as its
 * own callback's struct. */
#include <event2/event.h>
#include "xt.h"

struct conn {
	int fd;
	unsigned long hits;
	char name[16];
};

struct tick {
	long period;
	unsigned long fired;
};

static struct event *conns[2], *ticks[2];

static void on_read(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	(void)fd;
	(void)what;
	c->hits++;
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct tick *t = arg;
	(void)fd;
	(void)what;
	t->fired++;
}

static __attribute__((noinline)) void init(void)
{
	for (int i = 0; i < 2; i++) {
		void *ctx = malloc(sizeof(struct conn));
		conns[i] = event_new(NULL, -1, 0, on_read, ctx);
		void *tctx = malloc(sizeof(struct tick));
		ticks[i] = event_new(NULL, -1, 0, on_tick, tctx);
	}
	for (int i = 0; i < 2; i++) {
		struct conn *c = event_get_callback_arg(conns[i]);
		c->fd = 10 + i;
		c->hits = 100 + i;
		snprintf(c->name, sizeof(c->name), "conn%d", i);
		struct tick *t = event_get_callback_arg(ticks[i]);
		t->period = 1000 + i;
		t->fired = 7 + i;
	}
}

int main(void)
{
	if (!stf_is_updating()) {
		init();
		for (int i = 0; i < 2; i++)
			if (!event_get_callback_arg(conns[i]) || !event_get_callback_arg(ticks[i]))
				abort(); /* read at -O2 */
	}
	XT_V1_LOOP();
}
