/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * hstream - a key-value store over HTTP on libevent's evhttp, written the
 * way a C programmer who has never heard of ttst writes one (wave 23's
 * hunt).  PUT /k/KEY stores the body, DELETE /k/KEY removes it, GET
 * /k/KEY streams the value as a chunked reply, a few bytes per
 * millisecond: each GET's state is a struct of the program (the request,
 * a persistent timer embedded in it with the struct as its argument, a
 * copy of the value and how far it got) on the server's list of streams,
 * cancelled by the connection's close callback.  GET /resolve/NAME asks
 * an evdns base (hosts file only, no name server) for NAME's IPv4
 * address; the reply is sent from the resolver's callback.  Keys hash
 * into buckets of a table that doubles.  A persistent clock event keeps
 * the time of day cached every 100 ms.  The loop calls
 * stf_update_point() at its top, after each pass of EVLOOP_ONCE.
 *
 * GET /version -> "NAME REL", GET /verify -> "ok ..." (webkv's wload.py
 * drives the rest).
 * REL 2: struct stream grows (a chunk count before its timer), struct
 * server gains a banner string that stf_on_commit (after an update) or the
 * startup (a fresh start) sets; GET /banner returns it.
 * Usage: hstream PORT-FILE
 */
#define _GNU_SOURCE
#ifdef IDIOM_O0
#pragma GCC optimize("O0")   /* the -O0 build of its test (-O2 by default) */
#define NAME "hstream-O0"
#else
#define NAME "hstream"
#endif
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <event2/buffer.h>
#include <event2/dns.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/http.h>
#include <event2/util.h>
#include <stf.h>

#ifndef REL
#define REL 1
#endif

#define CHUNK 4

struct kv {
	struct kv *next;
	char *key;
	char *val;
	size_t len;
};

struct stream {
	struct evhttp_request *req;
	struct evhttp_connection *conn;
#if REL >= 2
	unsigned chunks;
#endif
	struct event tick;
	char *body;
	size_t off, len;
	struct server *srv;
	struct stream *prev, *next;
};

struct server {
	struct event_base *base;
	struct evhttp *http;
	struct evdns_base *dns;
	struct event *clock;          /* persistent, keeps now */
	time_t now;
	struct kv **buckets;
	size_t nbuckets, nkeys;
	struct stream *streams;
	unsigned long nstreams, streamed, resolved;
#if REL >= 2
	char *banner;
#endif
};

static struct server srv;

/* ---- the table ---- */

static size_t hash(const char *s, size_t n)
{
	size_t h = 0;

	while (*s)
		h = h * 131 + (unsigned char)*s++;
	return h % n;
}

static struct kv **lookup(const char *key)
{
	struct kv **pp;

	for (pp = &srv.buckets[hash(key, srv.nbuckets)]; *pp; pp = &(*pp)->next)
		if (!strcmp((*pp)->key, key))
			break;
	return pp;
}

static void grow(void)
{
	size_t n = srv.nbuckets * 2, i;
	struct kv **nb = calloc(n, sizeof *nb), *e, *next;

	for (i = 0; i < srv.nbuckets; i++)
		for (e = srv.buckets[i]; e; e = next) {
			next = e->next;
			e->next = nb[hash(e->key, n)];
			nb[hash(e->key, n)] = e;
		}
	free(srv.buckets);
	srv.buckets = nb;
	srv.nbuckets = n;
}

static void put(const char *key, const char *val, size_t len)
{
	struct kv **pp = lookup(key), *e = *pp;

	if (e) {
		free(e->val);
	} else {
		if (srv.nkeys >= srv.nbuckets)
			grow();
		e = malloc(sizeof *e);
		e->key = strdup(key);
		e->next = srv.buckets[hash(key, srv.nbuckets)];
		srv.buckets[hash(key, srv.nbuckets)] = e;
		srv.nkeys++;
	}
	e->val = malloc(len + 1);
	memcpy(e->val, val, len);
	e->val[len] = 0;
	e->len = len;
}

static int del(const char *key)
{
	struct kv **pp = lookup(key), *e = *pp;

	if (!e)
		return 0;
	*pp = e->next;
	free(e->key);
	free(e->val);
	free(e);
	srv.nkeys--;
	return 1;
}

/* ---- streamed replies ---- */

static void stream_end(struct stream *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		s->srv->streams = s->next;
	if (s->next)
		s->next->prev = s->prev;
	s->srv->nstreams--;
	event_del(&s->tick);
	evhttp_connection_set_closecb(s->conn, NULL, NULL);
	free(s->body);
	free(s);
}

static void on_stream_tick(evutil_socket_t fd, short what, void *arg)
{
	struct stream *s = arg;
	struct evbuffer *b = evbuffer_new();
	size_t n = s->len - s->off < CHUNK ? s->len - s->off : CHUNK;

	(void)fd, (void)what;
	evbuffer_add(b, s->body + s->off, n);
	evhttp_send_reply_chunk(s->req, b);
	evbuffer_free(b);
	s->off += n;
#if REL >= 2
	s->chunks++;
#endif
	if (s->off == s->len) {
		evhttp_send_reply_end(s->req);
		s->srv->streamed++;
		stream_end(s);
	}
}

/* the client went away mid-stream: libevent frees the request */
static void on_conn_close(struct evhttp_connection *conn, void *arg)
{
	(void)conn;
	stream_end(arg);
}

static void stream_start(struct evhttp_request *req, const struct kv *e)
{
	struct stream *s = calloc(1, sizeof *s);
	struct timeval ms = { 0, 1000 };

	s->req = req;
	s->conn = evhttp_request_get_connection(req);
	s->body = memcpy(malloc(e->len), e->val, e->len);
	s->len = e->len;
	s->srv = &srv;
	event_assign(&s->tick, srv.base, -1, EV_PERSIST, on_stream_tick, s);
	s->next = srv.streams;
	if (srv.streams)
		srv.streams->prev = s;
	srv.streams = s;
	srv.nstreams++;
	evhttp_connection_set_closecb(s->conn, on_conn_close, s);
	evhttp_send_reply_start(req, 200, "OK");
	event_add(&s->tick, &ms);
}

/* ---- handlers ---- */

static void reply(struct evhttp_request *req, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void reply(struct evhttp_request *req, int code, const char *fmt, ...)
{
	struct evbuffer *b = evbuffer_new();
	va_list ap;

	va_start(ap, fmt);
	evbuffer_add_vprintf(b, fmt, ap);
	va_end(ap);
	evhttp_send_reply(req, code, code == 200 ? "OK" : "Not Found", b);
	evbuffer_free(b);
}

static void on_kv(struct evhttp_request *req, const char *key)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(req);
	struct kv *e;
	size_t len;

	switch (evhttp_request_get_command(req)) {
	case EVHTTP_REQ_PUT:
		len = evbuffer_get_length(in);
		put(key, (const char *)evbuffer_pullup(in, len), len);
		reply(req, 200, "ok");
		break;
	case EVHTTP_REQ_DELETE:
		if (del(key))
			reply(req, 200, "ok");
		else
			reply(req, 404, "none");
		break;
	default:
		e = *lookup(key);
		if (e)
			stream_start(req, e);
		else
			reply(req, 404, "none");
	}
}

static void on_resolved(int err, struct evutil_addrinfo *ai, void *arg)
{
	struct evhttp_request *req = arg;
	char text[INET_ADDRSTRLEN];

	if (err || !ai) {
		reply(req, 404, "%s", evutil_gai_strerror(err));
		return;
	}
	inet_ntop(AF_INET, &((struct sockaddr_in *)ai->ai_addr)->sin_addr, text, sizeof text);
	evutil_freeaddrinfo(ai);
	srv.resolved++;
	reply(req, 200, "%s", text);
}

static void on_resolve(struct evhttp_request *req, const char *name)
{
	struct evutil_addrinfo hints = { .ai_family = AF_INET, .ai_socktype = SOCK_STREAM };

	evdns_getaddrinfo(srv.dns, name, NULL, &hints, on_resolved, req);
}

static void on_verify(struct evhttp_request *req)
{
	size_t i, n = 0, streams = 0;
	struct kv *e;
	struct stream *s;

	for (i = 0; i < srv.nbuckets; i++)
		for (e = srv.buckets[i]; e; e = e->next) {
			if (hash(e->key, srv.nbuckets) != i || strlen(e->val) != e->len) {
				reply(req, 200, "bad key %s", e->key);
				return;
			}
			n++;
		}
	for (s = srv.streams; s; s = s->next) {
		if (s->srv != &srv || s->off >= s->len || event_get_callback_arg(&s->tick) != s ||
		    !event_pending(&s->tick, EV_TIMEOUT, NULL) ||
		    evhttp_request_get_connection(s->req) != s->conn) {
			reply(req, 200, "bad stream");
			return;
		}
		streams++;
	}
	if (n != srv.nkeys || streams != srv.nstreams || !srv.dns ||
	    event_get_callback_arg(srv.clock) != &srv || time(NULL) - srv.now > 1
#if REL >= 2
	    || !srv.banner || strcmp(srv.banner, "hstream 2 banner")
#endif
	) {
		reply(req, 200, "bad counts %zu/%zu %zu/%lu", n, srv.nkeys, streams, srv.nstreams);
		return;
	}
	reply(req, 200, "ok keys=%zu streams=%zu streamed=%lu resolved=%lu", n, streams,
	      srv.streamed, srv.resolved);
}

static void on_request(struct evhttp_request *req, void *arg)
{
	const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));

	(void)arg;
	if (!path)
		reply(req, 404, "none");
	else if (!strncmp(path, "/k/", 3))
		on_kv(req, path + 3);
	else if (!strncmp(path, "/resolve/", 9))
		on_resolve(req, path + 9);
	else if (!strcmp(path, "/version"))
		reply(req, 200, "%s %d", NAME, REL);
	else if (!strcmp(path, "/verify"))
		on_verify(req);
#if REL >= 2
	else if (!strcmp(path, "/banner"))
		reply(req, 200, "%s", srv.banner);
#endif
	else
		reply(req, 404, "none");
}

static void on_clock(evutil_socket_t fd, short what, void *arg)
{
	struct server *s = arg;

	(void)fd, (void)what;
	s->now = time(NULL);
}

#if REL >= 2
static void on_commit(void *arg)
{
	struct server *s = arg;

	if (!s->banner)
		s->banner = strdup("hstream 2 banner");
}
#endif

static void start(const char *port_file)
{
	struct evhttp_bound_socket *bound;
	struct sockaddr_in sa;
	socklen_t len = sizeof sa;
	struct timeval tenth = { 0, 100000 };
	FILE *f;

	srv.base = event_base_new();
	srv.now = time(NULL);
	srv.clock = event_new(srv.base, -1, EV_PERSIST, on_clock, &srv);
	event_add(srv.clock, &tenth);
	srv.http = evhttp_new(srv.base);
	evhttp_set_allowed_methods(srv.http, EVHTTP_REQ_GET | EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE);
	evhttp_set_gencb(srv.http, on_request, &srv);
	bound = evhttp_bind_socket_with_handle(srv.http, "127.0.0.1", 0);
	if (!bound || getsockname(evhttp_bound_socket_get_fd(bound), (struct sockaddr *)&sa, &len)) {
		perror("hstream: listen");
		exit(1);
	}
	srv.dns = evdns_base_new(srv.base, 0);
	if (!srv.dns || evdns_base_load_hosts(srv.dns, "/etc/hosts")) {
		fprintf(stderr, "hstream: no resolver\n");
		exit(1);
	}
	srv.nbuckets = 16;
	srv.buckets = calloc(srv.nbuckets, sizeof *srv.buckets);
#if REL >= 2
	srv.banner = strdup("hstream 2 banner");
#endif
	f = fopen(port_file, "w");
	if (!f || fprintf(f, "%d\n", ntohs(sa.sin_port)) < 0 || fclose(f)) {
		perror(port_file);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: hstream PORT-FILE\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
#if REL >= 2
	stf_on_commit(on_commit, &srv);
#endif
	if (!stf_is_updating())
		start(argv[1]);
	for (;;) {
		stf_update_point();
		if (event_base_loop(srv.base, EVLOOP_ONCE) < 0)
			break;
	}
	fprintf(stderr, "hstream: the event loop failed\n");
	return 1;
}
