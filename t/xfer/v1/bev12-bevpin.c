/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Clients whose address is, besides its bufferevent's callback argument,
 * data the program wrote into the bufferevent's output buffer
 * (`evbuffer_add(out, &c, sizeof c)`): a word of libevent's memory that
 * is not the user data slot, of unknown meaning.  Version 2 grows struct
 * client past its malloc chunk, the next block its bufferevent. */
#include <stdint.h>
#include <event2/event.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include "xt.h"

struct client {
	void *number; /* an integer */
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
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
