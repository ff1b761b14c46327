/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of libpub15-bev.c: struct client gains members before its
 * bufferevent (24 -> 48 bytes).  Each bufferevent still reads its socket
 * and calls back with the moved client; the public struct's members
 * read directly are libevent's own. */
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
	long requests;
	char name[16];
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
	c->requests++;
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
}

int main(void)
{
	XT_V2_RECEIVE(init);
	for (int i = 0; i < NCLIENTS; i++) {
		struct client *c = clients[i];
		bufferevent_data_cb readcb;
		void *arg;
		CHECK(c->bytes == 5 && c->requests == 0 && c->name[0] == 0);
		CHECK(c->bev->input == bufferevent_get_input(c->bev));
		CHECK(c->bev->output == bufferevent_get_output(c->bev));
		CHECK(c->bev->ev_base == base && c->bev->readcb == on_read);
		CHECK(event_get_fd(&c->bev->ev_read) == bufferevent_getfd(c->bev));
		bufferevent_getcb(c->bev, &readcb, NULL, NULL, &arg);
		CHECK(readcb == on_read && arg == c);
		CHECK(write(c->peer, "world!", 6) == 6);
	}
	for (int round = 0; round < 200; round++) {
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		int done = 1;
		for (int i = 0; i < NCLIENTS; i++)
			done &= clients[i]->bytes == 11;
		if (done)
			break;
		usleep(1000);
	}
	for (int i = 0; i < NCLIENTS; i++) {
		char reply[8];
		size_t n = 0;
		struct client *c = clients[i];
		CHECK(c->bytes == 11 && c->requests == 1);
		/* v1's reply and v2's, written by libevent through ev_write */
		for (int round = 0; round < 200 && n < 2; round++) {
			event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
			ssize_t r = recv(c->peer, reply + n, sizeof reply - n, MSG_DONTWAIT);
			if (r > 0)
				n += (size_t)r;
			else
				usleep(1000);
		}
		CHECK(n == 2 && reply[0] == '+' && reply[1] == '+');
	}
	XT_V2_RESULT();
}
