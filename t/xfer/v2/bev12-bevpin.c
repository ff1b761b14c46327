/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of bev12-bevpin.c: struct client gains members before its
 * bufferevent (48 -> 72 bytes). */
#include <stdint.h>
#include <event2/event.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include "xt.h"

struct client {
	void *number; /* an integer */
	unsigned long polled;
	char name[12];
	struct bufferevent *bev;
	uint64_t topics;
	void **ring;
	unsigned head, len, cap;
};

#define NCLIENTS 4

static struct event_base *base;
static struct bufferevent *bevs[NCLIENTS];

static void on_read(struct bufferevent *b, void *arg)
{
	struct client *c = arg;
	(void)b;
	c->len++;
}

static __attribute__((noinline)) void init(void)
{
	base = event_base_new();
	for (long i = 0; i < NCLIENTS; i++) {
		struct client *c = calloc(1, sizeof *c);
		c->number = (void *)(uintptr_t)(i + 1);
		c->bev = bufferevent_socket_new(base, -1, 0);
		bufferevent_setcb(c->bev, on_read, NULL, NULL, c);
		evbuffer_add(bufferevent_get_output(c->bev), &c, sizeof c);
		bevs[i] = c->bev;
	}
}

int main(void)
{
	XT_V2_RECEIVE(init);
	XT_V2_RESULT();
}
