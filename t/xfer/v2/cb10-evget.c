/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of cb10-evget.c: struct conn gains members before hits. */
#include <event2/event.h>
#include "xt.h"

struct conn {
	int fd;
	int prio;
	unsigned long started;
	unsigned long hits;
	char name[16];
};

static struct event *evs[3];
static unsigned long wakeups;

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	wakeups++;
}

static __attribute__((noinline)) void init(void)
{
	for (int i = 0; i < 3; i++) {
		void *ctx = malloc(sizeof(struct conn));
		evs[i] = event_new(NULL, -1, 0, on_wake, ctx);
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
		struct stf_object_info info;
		char want[16];
		snprintf(want, sizeof(want), "conn%d", i);
		CHECK(stf_lookup(c, &info) == 0 && info.size >= sizeof(*c));
		CHECK(c->fd == 10 + i && c->hits == 100u + i && !strcmp(c->name, want));
		CHECK(c->prio == 0 && c->started == 0);
	}
	XT_V2_RESULT();
}
