/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of cb11-evcb.c: struct conn and struct tick gain members. */
#include <event2/event.h>
#include "xt.h"

struct conn {
	int fd;
	int prio;
	unsigned long started;
	unsigned long hits;
	char name[16];
};

struct tick {
	unsigned flags;
	long period;
	unsigned long fired;
	unsigned long missed;
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
	XT_V2_RECEIVE(init);
	for (int i = 0; i < 2; i++) {
		struct conn *c = event_get_callback_arg(conns[i]);
		struct tick *t = event_get_callback_arg(ticks[i]);
		struct stf_object_info info;
		char want[16];
		snprintf(want, sizeof(want), "conn%d", i);
		CHECK(stf_lookup(c, &info) == 0 && info.size >= sizeof(*c));
		CHECK(c->fd == 10 + i && c->hits == 100u + i && !strcmp(c->name, want));
		CHECK(c->prio == 0 && c->started == 0);
		CHECK(stf_lookup(t, &info) == 0 && info.size >= sizeof(*t));
		CHECK(t->period == 1000 + i && t->fired == 7u + i);
		CHECK(t->flags == 0 && t->missed == 0);
	}
	XT_V2_RESULT();
}
