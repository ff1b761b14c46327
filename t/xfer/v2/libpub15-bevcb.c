/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of libpub15-bevcb.c: struct server gains members before its
 * evhttp (40 -> 64 bytes).  The request in flight completes, and a new
 * connection's bufferevent is made by the callback, both with the moved
 * server as their argument. */
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
	unsigned long polled;
	char name[16];
	struct evhttp *http;
	uint64_t conns;
	unsigned backlog, flags;
	unsigned long requests;
};

static struct event_base *base;
static struct server *srv;
static int port, client = -1; /* the connection in flight at the update */
static struct server *made_for;

static struct bufferevent *make_bev(struct event_base *b, void *arg)
{
	struct server *s = arg;
	s->conns++;
	made_for = s;
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
}

/* Reads the reply on fd until the peer closes it (HTTP/1.0). */
static int reply_has(int fd, const char *text)
{
	char buf[1024];
	size_t n = 0;
	for (int round = 0; round < 500 && n < sizeof buf - 1; round++) {
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK);
		ssize_t r = recv(fd, buf + n, sizeof buf - 1 - n, MSG_DONTWAIT);
		if (r == 0)
			break;
		if (r > 0)
			n += (size_t)r;
		else
			usleep(1000);
	}
	buf[n] = 0;
	return strstr(buf, "200 OK") && strstr(buf, text);
}

int main(void)
{
	XT_V2_RECEIVE(init);
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct stf_object_info info;
	CHECK(stf_lookup(srv, &info) == 0 && info.size >= sizeof(*srv));
	CHECK(srv->number == (void *)(uintptr_t)7 && srv->conns == 1 && srv->requests == 0);
	CHECK(srv->polled == 0 && srv->name[0] == 0);
	/* the request in flight completes */
	CHECK(write(client, "\r\n", 2) == 2);
	CHECK(reply_has(client, "hello 1"));
	CHECK(srv->requests == 1);
	/* a new connection: its bufferevent made for the moved server */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(fd >= 0 && connect(fd, (struct sockaddr *)&sin, sizeof sin) == 0);
	CHECK(write(fd, "GET /b HTTP/1.0\r\n\r\n", 19) == 19);
	CHECK(reply_has(fd, "hello 2"));
	CHECK(made_for == srv && srv->conns == 2 && srv->requests == 2);
	XT_V2_RESULT();
}
