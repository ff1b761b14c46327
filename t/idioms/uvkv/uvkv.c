/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * uvkv - a key-value server on libuv, written as a libuv user writes one
 * (wave 9's examiner): the default loop; a uv_tcp_t embedded in each
 * client's struct, its `data` pointing back at the client (libuv links
 * the handle into the loop's queues: libuv's own memory points into the
 * program's structs); every reply a heap block starting with its
 * uv_write_t, freed by the write callback; a repeating uv_timer_t
 * counting ticks; uv_close with a callback that frees the client.
 * Release 2 grows the client struct before the embedded handle.
 *
 * Protocol: SET k v, GET k, DEL k, VERSION, VERIFY, STATS ->
 * STATS clients=N ticks=T, REL 2: MINE -> MINE n (this client's requests).
 * Usage: uvkv PORT-FILE
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>
#include <stf.h>

#ifndef REL
#define REL 1
#endif

#define NBUCKETS 4096

struct item {
	struct item *next;
	char *key;
	char *value;
};

struct client {
#if REL >= 2
	uint64_t serial; /* new in 2, before the handle */
#endif
	uv_tcp_t tcp; /* tcp.data == this client */
	struct client *next, **pprev;
	unsigned long requests;
	size_t len;
	char in[4096];
};

struct reply {
	uv_write_t req; /* req.data == this reply */
	uv_buf_t buf;
	char text[];
};

static uv_loop_t *loop;
static uv_tcp_t server;
static uv_timer_t ticker;
static uv_poll_t update_watch;
static struct item *buckets[NBUCKETS];
static unsigned long nitems, ticks, nclients;
static struct client *clients;
#if REL >= 2
static uint64_t next_serial;
#endif

static unsigned hash(const char *s)
{
	unsigned h = 2166136261u;
	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h % NBUCKETS;
}

static struct item **find(const char *k)
{
	struct item **pp = &buckets[hash(k)];
	while (*pp && strcmp((*pp)->key, k))
		pp = &(*pp)->next;
	return pp;
}

static void on_written(uv_write_t *req, int status)
{
	(void)status;
	free(req->data);
}

static void reply(struct client *c, const char *fmt, ...)
{
	char text[4200];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(text, sizeof text - 1, fmt, ap);
	va_end(ap);
	if (n < 0 || n > (int)sizeof text - 2)
		n = sizeof text - 2;
	text[n++] = '\n';
	struct reply *r = malloc(sizeof *r + n);
	if (!r)
		return;
	memcpy(r->text, text, n);
	r->req.data = r;
	r->buf = uv_buf_init(r->text, n);
	if (uv_write(&r->req, (uv_stream_t *)&c->tcp, &r->buf, 1, on_written))
		free(r);
}

static void verify(char *out, size_t size)
{
	unsigned long n = 0, nc = 0;
	for (unsigned b = 0; b < NBUCKETS; b++)
		for (struct item *i = buckets[b]; i; i = i->next, n++)
			if (hash(i->key) != b) {
				snprintf(out, size, "VERIFY bad bucket %.60s", i->key);
				return;
			}
	for (struct client *c = clients; c; c = c->next, nc++)
		if (*c->pprev != c || c->tcp.data != c || c->len >= sizeof c->in) {
			snprintf(out, size, "VERIFY bad client list");
			return;
		}
	if (n != nitems || nc != nclients) {
		snprintf(out, size, "VERIFY bad counts %lu/%lu %lu/%lu", n, nitems, nc, nclients);
		return;
	}
	snprintf(out, size, "VERIFY ok keys=%lu clients=%lu ticks=%lu", n, nc, ticks);
}

static void command(struct client *c, char *line)
{
	char *cmd = strtok(line, " "), *k = strtok(NULL, " "), *v = strtok(NULL, "");
	c->requests++;
	if (!cmd)
		return reply(c, "ERROR empty");
	if (!strcmp(cmd, "VERSION"))
		return reply(c, "VERSION uvkv %d", REL);
	if (!strcmp(cmd, "VERIFY")) {
		char out[200];
		verify(out, sizeof out);
		return reply(c, "%s", out);
	}
	if (!strcmp(cmd, "STATS"))
		return reply(c, "STATS clients=%lu ticks=%lu", nclients, ticks);
#if REL >= 2
	if (!strcmp(cmd, "MINE"))
		return reply(c, "MINE %lu", c->requests);
#endif
	if (!k)
		return reply(c, "ERROR no key");
	struct item **pp = find(k), *i = *pp;
	if (!strcmp(cmd, "SET") && v) {
		if (!i) {
			i = calloc(1, sizeof *i);
			i->key = strdup(k);
			*pp = i;
			nitems++;
		}
		free(i->value);
		i->value = strdup(v);
		return reply(c, "OK");
	}
	if (!strcmp(cmd, "GET"))
		return i ? reply(c, "VALUE %s", i->value) : reply(c, "NONE");
	if (!strcmp(cmd, "DEL")) {
		if (!i)
			return reply(c, "NONE");
		*pp = i->next;
		free(i->key);
		free(i->value);
		free(i);
		nitems--;
		return reply(c, "OK");
	}
	reply(c, "ERROR unknown command %s", cmd);
}

static void on_closed(uv_handle_t *h)
{
	struct client *c = h->data;
	*c->pprev = c->next;
	if (c->next)
		c->next->pprev = c->pprev;
	nclients--;
	free(c);
}

static void on_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf)
{
	(void)suggested;
	struct client *c = h->data;
	*buf = uv_buf_init(c->in + c->len, sizeof c->in - 1 - c->len);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
	(void)buf;
	struct client *c = s->data;
	if (n < 0) {
		uv_close((uv_handle_t *)s, on_closed);
		return;
	}
	c->len += n;
	char *nl;
	while ((nl = memchr(c->in, '\n', c->len))) {
		*nl = 0;
		if (nl > c->in && nl[-1] == '\r')
			nl[-1] = 0;
		command(c, c->in);
		size_t used = nl + 1 - c->in;
		memmove(c->in, nl + 1, c->len - used);
		c->len -= used;
	}
	if (c->len == sizeof c->in - 1)
		uv_close((uv_handle_t *)s, on_closed);
}

static void on_connection(uv_stream_t *srv, int status)
{
	if (status < 0)
		return;
	struct client *c = calloc(1, sizeof *c);
	uv_tcp_init(loop, &c->tcp);
	c->tcp.data = c;
#if REL >= 2
	c->serial = ++next_serial;
#endif
	if (uv_accept(srv, (uv_stream_t *)&c->tcp)) {
		uv_close((uv_handle_t *)&c->tcp, (uv_close_cb)free);
		return;
	}
	c->next = clients;
	c->pprev = &clients;
	if (clients)
		clients->pprev = &c->next;
	clients = c;
	nclients++;
	uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
}

static void on_tick(uv_timer_t *t)
{
	(void)t;
	ticks++;
}

static void on_update(uv_poll_t *p, int status, int events)
{
	(void)p, (void)status, (void)events;
	stf_update_point();
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: uvkv PORT-FILE\n");
		return 2;
	}
	if (!stf_is_updating()) {
		loop = uv_default_loop();
		struct sockaddr_in sa;
		int namelen = sizeof sa;
		uv_ip4_addr("127.0.0.1", 0, &sa);
		uv_tcp_init(loop, &server);
		if (uv_tcp_bind(&server, (const struct sockaddr *)&sa, 0) ||
		    uv_listen((uv_stream_t *)&server, 64, on_connection) ||
		    uv_tcp_getsockname(&server, (struct sockaddr *)&sa, &namelen)) {
			fprintf(stderr, "uvkv: cannot listen\n");
			return 1;
		}
		uv_timer_init(loop, &ticker);
		uv_timer_start(&ticker, on_tick, 100, 100);
		uv_poll_init(loop, &update_watch, stf_update_fd());
		uv_poll_start(&update_watch, UV_READABLE, on_update);
		FILE *f = fopen(argv[1], "w");
		if (!f || fprintf(f, "%d\n", ntohs(sa.sin_port)) < 0 || fclose(f)) {
			perror(argv[1]);
			return 1;
		}
	} else {
		on_update(&update_watch, 0, UV_READABLE); /* the state arrives here */
	}
	return uv_run(loop, UV_RUN_DEFAULT);
}
