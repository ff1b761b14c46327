/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Clients whose only pointer is their bufferevent's callback argument, in
 * libevent's memory: each allocated into a typed local (`struct client *c
 * = calloc(1, sizeof *c)`) and given to bufferevent_setcb; the program
 * keeps only the bufferevents, in a static array, and reaches a client
 * with bufferevent_getcb's out-parameter (t/idioms/pubq).  Version 2 grows
 * struct client past its malloc chunk (48 -> 72 bytes), the next block
 * the next client's bufferevent, which libevent allocated. */
#include <stdint.h>
#include <event2/event.h>
#include <event2/bufferevent.h>
#include "xt.h"

#define NCLIENTS 4

struct client {
	void *number; /* an integer */
	struct bufferevent *bev;
	uint64_t topics;
	void **ring;
	unsigned head, len, cap;
};

static struct event_base *base;
static struct bufferevent *bevs[NCLIENTS];

static void on_read(struct bufferevent *bev, void *arg)
{
	struct client *c = arg;
	(void)bev;
	c->len++;
}

static struct client *client_of(struct bufferevent *bev)
{
	void *arg;
	bufferevent_getcb(bev, NULL, NULL, NULL, &arg);
	return arg;
}

static __attribute__((noinline)) void init(void)
{
	base = event_base_new();
	for (long i = 0; i < NCLIENTS; i++) {
		struct client *c = calloc(1, sizeof *c);
		c->number = (void *)(uintptr_t)(i + 1);
		c->bev = bufferevent_socket_new(base, -1, 0);
		c->topics = 1u << i;
		bufferevent_setcb(c->bev, on_read, NULL, NULL, c);
		bevs[i] = c->bev;
	}
}

int main(void)
{
	if (!stf_is_updating()) {
		init();
		if (client_of(bevs[0])->bev != bevs[0])
			abort(); /* read at -O2 */
	}
	XT_V1_LOOP();
}
