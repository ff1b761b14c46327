/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Clients embedding their timer (`struct event` of event_struct.h), set
 * up by event_assign with the client itself as the callback argument and
 * pending: libevent's timer heap points into the clients, the events'
 * arguments at their starts.  The program keeps only pointers to the
 * events, in a static array, and reaches a client with
 * event_get_callback_arg.  Version 2 grows struct client (its event
 * moves from offset 8 to 32): the clients move and convert, the heap's
 * pointers follow the events, the arguments the clients. */
#include <stdint.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include "xt.h"

#define NCLIENTS 4

struct client {
	void *number; /* an integer */
	struct event tick;
	uint64_t topics;
};

static struct event_base *base;
static struct event *ticks[NCLIENTS];

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
		evtimer_assign(&c->tick, base, on_tick, c);
		evtimer_add(&c->tick, &hour);
		c->topics = 1u << i;
		ticks[i] = &c->tick;
	}
}

int main(void)
{
	if (!stf_is_updating()) {
		init();
		if (((struct client *)event_get_callback_arg(ticks[0]))->topics != 1)
			abort(); /* read at -O2 */
	}
	XT_V1_LOOP();
}
