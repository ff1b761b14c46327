/* SPDX-License-Identifier: GPL-3.0-or-later */
/* evhttp_set_bevcb: the program creates the bufferevent of each of
 * evhttp's connections, with its server as the callback's argument
 * (kept in libevent's struct evhttp).  A connection is accepted, its
 * request half read, when the update comes.  Version 2 grows struct
 * server past its malloc chunk (40 -> 64 bytes; the next block is
 * libevent's evhttp, kept at its address): the argument must follow the
 * moved server. */
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <event2/event.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/http.h>
#include "xt.h"

struct server {
	void *number; /* an integer */
	struct evhttp *http;
	uint64_t conns;
	unsigned backlog, flags;
	unsigned long requests;
};

static struct event_base *base;
static struct server *srv;
static int port, client = -1; /* the connection in flight at the update */

static struct bufferevent *make_bev(struct event_base *b, void *arg)
{
	struct server *s = arg;
	s->conns++;
	return bufferevent_socket_new(b, -1, BEV_OPT_CLOSE_ON_FREE);
}

static void on_request(struct evhttp_request *req, void *arg)
{
	struct server *s = arg;
	struct evbuffer *out = evbuffer_new();
	s->requests++;
	evbuffer_add_printf(out, "hello %lu", s->requests);
	evhttp_send_reply(req, 200, "OK", out);
	evbuffer_free(out);
}

static __attribute__((noinline)) void init(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof sin;
	base = event_base_new();
	srv = calloc(1, sizeof *srv);
	srv->number = (void *)(uintptr_t)7;
	srv->http = evhttp_new(base);
	evhttp_set_bevcb(srv->http, make_bev, srv);
	evhttp_set_gencb(srv->http, on_request, srv);
	struct evhttp_bound_socket *bs = evhttp_bind_socket_with_handle(srv->http, "127.0.0.1", 0);
	if (!bs || getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&sin, &len) < 0)
		abort();
	port = ntohs(sin.sin_port);
	client = socket(AF_INET, SOCK_STREAM, 0);
	if (client < 0 || connect(client, (struct sockaddr *)&sin, len) < 0 ||
	    write(client, "GET /a HTTP/1.0\r\n", 17) != 17)
		abort();
	for (int round = 0; round < 200 && !srv->conns; round++)
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK), usleep(1000);
	for (int round = 0; round < 20; round++) /* the half request read */
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK), usleep(1000);
}

int main(void)
{
	if (!stf_is_updating()) {
		init();
		if (srv->conns != 1 || srv->requests || client < 0 || !port)
			abort(); /* read at -O2 */
	}
	XT_V1_LOOP();
}
