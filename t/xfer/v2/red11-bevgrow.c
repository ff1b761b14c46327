/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of red11-bevgrow.c: struct client gains members before its
 * bufferevent (48 -> 72 bytes). */
#include <stdint.h>
#include <event2/event.h>
#include <event2/bufferevent.h>
#include "xt.h"

#define NCLIENTS 4

struct client {
	void *number; /* an integer */
	unsigned long polled;
	char name[12];
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
	XT_V2_RECEIVE(init);
	for (long i = 0; i < NCLIENTS; i++) {
		struct client *c = client_of(bevs[i]);
		struct stf_object_info info;
		CHECK(stf_lookup(c, &info) == 0 && info.size >= sizeof(*c));
		CHECK(c->number == (void *)(uintptr_t)(i + 1) && c->bev == bevs[i]);
		CHECK(c->topics == 1u << i && c->polled == 0 && c->name[0] == 0);
	}
	XT_V2_RESULT();
}
