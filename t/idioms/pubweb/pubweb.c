/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * pubweb - a key-value store over HTTP on libevent's evhttp (the
 * protocol of webkv, checked by webkv/wload.py) written against
 * libevent's public structs: the program makes every connection's
 * bufferevent itself (evhttp_set_bevcb, its server as the argument),
 * keeps it in a record of the connection, and reads the bufferevent's
 * members directly (bev->input, bev->ev_read, bev->ev_base through
 * <event2/bufferevent_struct.h>) to count what each connection brought.
 * Each GET is a request record of the program's heap, replied by a 1 ms
 * one-shot timer whose argument it is, so records are in flight at
 * every update.  Release 2 grows struct server past its malloc chunk
 * (the bevcb's argument must follow it), struct pending (in flight:
 * moved with the one-shot's argument) and struct conn (within its chunk:
 * the close callback's argument pins it).
 * Usage: pubweb PORT-FILE
 */
#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_struct.h>
#include <event2/event.h>
#include <event2/http.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <stf.h>

#include "../webkv/store.h"

#ifndef REL
#define REL 1
#endif

struct server {
	struct evhttp *http;
#if REL >= 2
	unsigned long polled; /* new in 2 */
	char name[24];
#endif
	unsigned long made; /* bufferevents made by make_bev */
	unsigned long served, deferred;
};

struct conn {
	struct conn *next, **pprev;
	struct bufferevent *bev; /* made by make_bev, libevent's */
#if REL >= 2
	unsigned long first_request; /* new in 2 */
#endif
	unsigned requests;
	unsigned bytes; /* what the connection's input held at each request */
};

struct pending {
	struct evhttp_request *req;
	struct conn *conn;
#if REL >= 2
	unsigned long seq; /* new in 2 */
#endif
	char key[64];
};

static struct server *srv;
static struct conn *conns;
static unsigned long nconns;
static struct event_base *base;
static struct event *update_ev;

static void conn_closed(struct evhttp_connection *c, void *arg)
{
	(void)c;
	struct conn *cn = arg;
	*cn->pprev = cn->next;
	if (cn->next)
		cn->next->pprev = cn->pprev;
	nconns--;
	free(cn);
}

/* evhttp's bufferevent callback: the program makes the connection's
 * bufferevent */
static struct bufferevent *make_bev(struct event_base *b, void *arg)
{
	struct server *s = arg;
	s->made++;
	return bufferevent_socket_new(b, -1, BEV_OPT_CLOSE_ON_FREE);
}

/* The record of the request's connection, found by its bufferevent and
 * made at its first request (a connection closed before any has none),
 * freed by its close callback. */
static struct conn *conn_of(struct evhttp_request *req)
{
	struct evhttp_connection *c = evhttp_request_get_connection(req);
	struct bufferevent *bev = c ? evhttp_connection_get_bufferevent(c) : NULL;
	struct conn *cn = conns;
	while (cn && cn->bev != bev)
		cn = cn->next;
	if (!cn && bev && (cn = calloc(1, sizeof(*cn)))) {
		cn->bev = bev;
		cn->next = conns;
		cn->pprev = &conns;
		if (conns)
			conns->pprev = &cn->next;
		conns = cn;
		nconns++;
		evhttp_connection_set_closecb(c, conn_closed, cn);
	}
	if (!cn)
		return NULL;
	cn->requests++;
	/* the public struct, read directly */
	cn->bytes += (unsigned)evbuffer_get_length(cn->bev->input);
#if REL >= 2
	if (!cn->first_request)
		cn->first_request = srv->served + 1;
#endif
	return cn;
}

static void send_text(struct evhttp_request *req, int code, const char *text)
{
	struct evbuffer *out = evbuffer_new();
	evbuffer_add(out, text, strlen(text));
	evhttp_send_reply(req, code, code == 200 ? "OK" : "Not Found", out);
	evbuffer_free(out);
	srv->served++;
}

static void reply_get(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	struct pending *p = arg;
	struct value *v = store_get(p->key);
	srv->deferred--;
	if (!v) {
		send_text(p->req, 404, "none");
	} else {
		struct evbuffer *out = evbuffer_new();
		evbuffer_add(out, v->data, v->len);
		evhttp_send_reply(p->req, 200, "OK", out);
		evbuffer_free(out);
		srv->served++;
	}
	free(p);
}

static void on_key(struct evhttp_request *req)
{
	const char *uri = evhttp_request_get_uri(req);
	if (strncmp(uri, "/k/", 3) || !uri[3] || strlen(uri) > 60) {
		send_text(req, 404, "bad key");
		return;
	}
	const char *key = uri + 3;
	switch (evhttp_request_get_command(req)) {
	case EVHTTP_REQ_GET: {
		struct timeval ms = { 0, 1000 };
		struct pending *p = calloc(1, sizeof(*p));
		if (!p) {
			send_text(req, 500, "memory");
			return;
		}
		p->req = req;
		p->conn = conn_of(req);
#if REL >= 2
		p->seq = srv->served;
#endif
		strcpy(p->key, key);
		srv->deferred++;
		event_base_once(base, -1, EV_TIMEOUT, reply_get, p, &ms);
		return;
	}
	case EVHTTP_REQ_PUT:
		conn_of(req);
		if (store_put(key, evhttp_request_get_input_buffer(req)) < 0)
			send_text(req, 500, "memory");
		else
			send_text(req, 200, "stored");
		return;
	case EVHTTP_REQ_DELETE:
		conn_of(req);
		if (store_delete(key) < 0)
			send_text(req, 404, "none");
		else
			send_text(req, 200, "deleted");
		return;
	default:
		send_text(req, 404, "method");
	}
}

/* /verify: the table, the connections' list and each one's bufferevent
 * read through the public struct. */
static void verify(struct evhttp_request *req)
{
	char buf[200];
	size_t n;
	const char *bad = store_check(&n);
	if (bad) {
		snprintf(buf, sizeof buf, "bad %.60s", bad);
		send_text(req, 200, buf);
		return;
	}
	unsigned long nc = 0;
	for (struct conn *cn = conns; cn; cn = cn->next, nc++)
		if (*cn->pprev != cn || cn->bev->ev_base != base ||
		    cn->bev->input != bufferevent_get_input(cn->bev) ||
		    event_get_fd(&cn->bev->ev_read) != bufferevent_getfd(cn->bev)) {
			send_text(req, 200, "bad connection");
			return;
		}
	snprintf(buf, sizeof buf, "ok values=%zu/%zu conns=%lu/%lu made=%lu deferred=%lu served=%lu", n,
		 store_count(), nc, nconns, srv->made, srv->deferred, srv->served);
	send_text(req, 200, buf);
}

static void on_request(struct evhttp_request *req, void *arg)
{
	(void)arg;
	char buf[64];
	const char *uri = evhttp_request_get_uri(req);
	if (!strcmp(uri, "/version")) {
		snprintf(buf, sizeof buf, "pubweb %d", REL);
		send_text(req, 200, buf);
	} else if (!strcmp(uri, "/verify")) {
		verify(req);
	} else {
		on_key(req);
	}
}

static void on_update(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what, (void)arg;
	stf_update_point();
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: pubweb PORT-FILE\n");
		return 2;
	}
	if (!stf_is_updating()) {
		base = event_base_new();
		srv = calloc(1, sizeof(*srv));
		srv->http = evhttp_new(base);
		struct evhttp_bound_socket *bs =
			srv->http ? evhttp_bind_socket_with_handle(srv->http, "127.0.0.1", 0) : NULL;
		if (!bs) {
			fprintf(stderr, "pubweb: cannot listen\n");
			return 1;
		}
		struct sockaddr_in sa;
		socklen_t sl = sizeof sa;
		getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&sa, &sl);
		evhttp_set_bevcb(srv->http, make_bev, srv);
		evhttp_set_gencb(srv->http, on_request, NULL);
		update_ev = event_new(base, stf_update_fd(), EV_READ | EV_PERSIST, on_update, NULL);
		event_add(update_ev, NULL);
		FILE *f = fopen(argv[1], "w");
		if (!f || fprintf(f, "%d\n", ntohs(sa.sin_port)) < 0 || fclose(f)) {
			perror(argv[1]);
			return 1;
		}
	} else {
		on_update(stf_update_fd(), EV_READ, NULL);
	}
	event_base_dispatch(base);
	return 0;
}
