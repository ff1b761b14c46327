/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of bev12-evnew.c: struct client gains members before its
 * events (40 -> 64 bytes). */
#include <stdint.h>
#include <event2/event.h>
#include "xt.h"

#define NCLIENTS 4

struct client {
	void *number; /* an integer */
	unsigned long polled;
	char name[12];
	struct event *rd, *tick;
	uint64_t topics;
	unsigned len;
};

static struct event_base *base;
static struct event *reads[NCLIENTS];

static void on_read(evutil_socket_t fd, short what, void *arg)
{
	struct client *c = arg;
	(void)fd, (void)what;
	c->len++;
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct client *c = arg;
	(void)fd, (void)what;
	c->topics = 0;
}

static __attribute__((noinline)) void init(void)
{
	const struct timeval hour = { 3600, 0 };
	base = event_base_new();
	for (long i = 0; i < NCLIENTS; i++) {
		struct client *c = calloc(1, sizeof *c);
		c->number = (void *)(uintptr_t)(i + 1);
		c->rd = event_new(base, -1, EV_PERSIST, on_read, c);
		c->tick = evtimer_new(base, on_tick, c);
		evtimer_add(c->tick, &hour);
		c->topics = 1u << i;
		reads[i] = c->rd;
	}
}

int main(void)
{
	XT_V2_RECEIVE(init);
	for (long i = 0; i < NCLIENTS; i++) {
		struct client *c = event_get_callback_arg(reads[i]);
		struct stf_object_info info;
		CHECK(stf_lookup(c, &info) == 0 && info.size >= sizeof(*c));
		CHECK(c->number == (void *)(uintptr_t)(i + 1) && c->rd == reads[i]);
		CHECK(event_get_callback_arg(c->tick) == c && evtimer_pending(c->tick, NULL));
		CHECK(c->topics == 1u << i && c->polled == 0 && c->name[0] == 0);
	}
	XT_V2_RESULT();
}
