/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Clients reading libevent's public struct bufferevent
 * (<event2/bufferevent_struct.h>: bev->input, bev->ev_write) instead of
 * its accessors.  libevent allocates a struct bufferevent_private, which
 * begins with the public struct and goes on with libevent's own members
 * (pointers into libevent among them).  Version 2 grows struct client
 * before its bufferevent: the bufferevent is libevent's, its bytes stay
 * where libevent reads them, the callback argument follows the moved
 * client. */
#include <stdint.h>
#include <sys/socket.h>
#include <event2/event.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_struct.h>
#include "xt.h"

#define NCLIENTS 3

struct client {
	int peer; /* the other end of the socket pair */
	struct bufferevent *bev;
	long bytes;
};

static struct event_base *base;
static struct client *clients[NCLIENTS];

static void on_read(struct bufferevent *bev, void *arg)
{
	struct client *c = arg;
	struct evbuffer *in = bev->input; /* the public struct, read directly */
	size_t n = evbuffer_get_length(in);
	c->bytes += (long)n;
	evbuffer_drain(in, n);
	bufferevent_write(bev, "+", 1);
}

static __attribute__((noinline)) void init(void)
{
	base = event_base_new();
	for (int i = 0; i < NCLIENTS; i++) {
		int sv[2];
		struct client *c = calloc(1, sizeof *c);
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
			abort();
		c->peer = sv[1];
		c->bev = bufferevent_socket_new(base, sv[0], BEV_OPT_CLOSE_ON_FREE);
		bufferevent_setcb(c->bev, on_read, NULL, NULL, c);
		bufferevent_enable(c->bev, EV_READ | EV_WRITE);
		clients[i] = c;
		if (write(c->peer, "hello", 5) != 5)
			abort();
	}
	for (int round = 0; round < 100; round++) {
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		int done = 1;
		for (int i = 0; i < NCLIENTS; i++)
			done &= clients[i]->bytes == 5;
		if (done)
			break;
		usleep(1000);
	}
}

int main(void)
{
	if (!stf_is_updating()) {
		init();
		for (int i = 0; i < NCLIENTS; i++)
			if (clients[i]->bytes != 5 || clients[i]->bev->ev_base != base)
				abort(); /* read at -O2 */
	}
	XT_V1_LOOP();
}
