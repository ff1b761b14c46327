/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of cb10-evlocal.c: struct conn gains members before hits. */
#include <event2/event.h>
#include "xt.h"

struct conn {
	int fd;
	int prio;
	unsigned long started;
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
	XT_V2_RECEIVE(init);
	for (int i = 0; i < 4; i++) {
		struct conn *c = event_get_callback_arg(evs[i]);
		struct stf_object_info info;
		char want[16];
		snprintf(want, sizeof(want), "conn%d", i);
		CHECK(stf_lookup(c, &info) == 0 && info.size >= sizeof(*c));
		CHECK(c->fd == 10 + i && c->hits == 100u + i && !strcmp(c->name, want));
		CHECK(c->prio == 0 && c->started == 0);
	}
	XT_V2_RESULT();
}
