/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * webkv - a key-value store over HTTP on libevent's evhttp: PUT /k/KEY
 * (body = value), GET /k/KEY, DELETE /k/KEY, GET /version, GET /verify.
 * Replies to GET are deferred by a 1 ms one-shot timer (event_base_once
 * with the request as its argument), so requests are in flight inside
 * libevent at any moment; each connection has a close callback whose
 * argument is a per-connection record kept in a list.
 * Usage: webkv PORT-FILE
 */
#include <arpa/inet.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <stf.h>

#include "store.h"

#ifndef REL
#define REL 1
#endif

struct peer {
	struct peer *next, **pprev;
	struct evhttp_connection *conn;
#if REL >= 2
	unsigned long first_seen;
#endif
	unsigned long requests;
};

static struct peer *peers;
static unsigned long npeers, deferred, served;
static struct event_base *base;
static struct evhttp *http;
static struct event *update_ev;

static void peer_closed(struct evhttp_connection *c, void *arg)
{
	(void)c;
	struct peer *p = arg;
	*p->pprev = p->next;
	if (p->next)
		p->next->pprev = p->pprev;
	npeers--;
	free(p);
}

static struct peer *peer_of(struct evhttp_request *req)
{
	struct evhttp_connection *c = evhttp_request_get_connection(req);
	for (struct peer *p = peers; p; p = p->next)
		if (p->conn == c)
			return p;
	struct peer *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->conn = c;
	p->next = peers;
	p->pprev = &peers;
	if (peers)
		peers->pprev = &p->next;
	peers = p;
	npeers++;
	evhttp_connection_set_closecb(c, peer_closed, p);
	return p;
}

static void send_text(struct evhttp_request *req, int code, const char *text)
{
	struct evbuffer *out = evbuffer_new();
	evbuffer_add(out, text, strlen(text));
	evhttp_send_reply(req, code, code == 200 ? "OK" : "Not Found", out);
	evbuffer_free(out);
	served++;
}

static void reply_get(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	struct evhttp_request *req = arg;
	const char *key = evhttp_request_get_uri(req) + 3;
	struct value *v = store_get(key);
	deferred--;
	if (!v) {
		send_text(req, 404, "none");
		return;
	}
	struct evbuffer *out = evbuffer_new();
	evbuffer_add(out, v->data, v->len);
	evhttp_send_reply(req, 200, "OK", out);
	evbuffer_free(out);
	served++;
}

static void on_key(struct evhttp_request *req, void *arg)
{
	(void)arg;
	const char *uri = evhttp_request_get_uri(req);
	struct peer *p = peer_of(req);
	if (p)
		p->requests++;
	if (strncmp(uri, "/k/", 3) || !uri[3] || strlen(uri) > 200) {
		send_text(req, 404, "bad key");
		return;
	}
	const char *key = uri + 3;
	switch (evhttp_request_get_command(req)) {
	case EVHTTP_REQ_GET: {
		struct timeval ms = { 0, 1000 };
		deferred++;
		event_base_once(base, -1, EV_TIMEOUT, reply_get, req, &ms);
		return;
	}
	case EVHTTP_REQ_PUT:
		if (store_put(key, evhttp_request_get_input_buffer(req)) < 0)
			send_text(req, 500, "memory");
		else
			send_text(req, 200, "stored");
		return;
	case EVHTTP_REQ_DELETE:
		if (store_delete(key) < 0)
			send_text(req, 404, "none");
		else
			send_text(req, 200, "deleted");
		return;
	default:
		send_text(req, 404, "method");
	}
}

static void on_other(struct evhttp_request *req, void *arg)
{
	(void)arg;
	char buf[200];
	const char *uri = evhttp_request_get_uri(req);
	if (!strcmp(uri, "/version")) {
		snprintf(buf, sizeof buf, "webkv %d", REL);
		send_text(req, 200, buf);
	} else if (!strcmp(uri, "/verify")) {
		size_t n;
		const char *bad = store_check(&n);
		if (bad) {
			snprintf(buf, sizeof buf, "bad %s", bad);
			send_text(req, 200, buf);
			return;
		}
		unsigned long np = 0;
		for (struct peer *p = peers; p; p = p->next, np++)
			if (*p->pprev != p) {
				send_text(req, 200, "bad peer list");
				return;
			}
		snprintf(buf, sizeof buf, "ok values=%zu/%zu peers=%lu/%lu deferred=%lu served=%lu", n,
			 store_count(), np, npeers, deferred, served);
		send_text(req, 200, buf);
	} else {
		on_key(req, arg);
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
		fprintf(stderr, "usage: webkv PORT-FILE\n");
		return 2;
	}
	if (!stf_is_updating()) {
		base = event_base_new();
		http = evhttp_new(base);
		struct evhttp_bound_socket *bs = http ? evhttp_bind_socket_with_handle(http, "127.0.0.1", 0) : NULL;
		if (!bs) {
			fprintf(stderr, "webkv: cannot listen\n");
			return 1;
		}
		struct sockaddr_in sa;
		socklen_t sl = sizeof sa;
		getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&sa, &sl);
		evhttp_set_gencb(http, on_other, NULL);
		evhttp_set_cb(http, "/version", on_other, NULL);
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
