/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Clients whose only pointers are their events' callback arguments, in
 * libevent's memory: each client allocated into a typed local and given
 * to event_new (a persistent read event) and to evtimer_new (a pending
 * timer); the program keeps only the read events, in a static array,
 * and reaches a client with event_get_callback_arg.  Version 2 grows
 * struct client past its malloc chunk (40 -> 64 bytes), the next block
 * its read event, which libevent allocated and keeps at its address. */
#include <stdint.h>
#include <event2/event.h>
#include "xt.h"

#define NCLIENTS 4

struct client {
	void *number; /* an integer */
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
	if (!stf_is_updating()) {
		init();
		if (((struct client *)event_get_callback_arg(reads[0]))->rd != reads[0])
			abort(); /* read at -O2 */
	}
	XT_V1_LOOP();
}
