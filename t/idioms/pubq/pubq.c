/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * pubq - a publish/subscribe server with a key-value store on libevent,
 * written as a stranger would (wave 11's red team).  Every client is a
 * bufferevent made with bufferevent_socket_new; the server keeps only the
 * bufferevents, in a static array, and finds each client's struct with
 * bufferevent_getcb()'s out-argument (the callbacks' `void *`).  Each
 * client has its own queue of messages, a ring of `void *` grown by
 * realloc, whose slots beyond the live ones keep pointers to messages
 * already taken; a message is shared by every queue it was published to
 * and freed with its last reference.  A client's number is kept in a
 * `void *` member.  The store is an open-addressing table of `void *`
 * entries whose values are either a small integer tagged with the low bit
 * or a string; a deleted entry leaves its freed address with the low bit
 * set in its slot (a tombstone probing goes past).  The update point is in
 * the callback of a 50 ms timer made by evtimer_new, which re-arms itself
 * and is first called from main.
 *
 * Protocol: SET k v -> OK, GET k -> VALUE v | NONE, DEL k -> OK | NONE,
 * VERSION, VERIFY, SUB topic -> OK, PUB topic text -> OK n (the queues it
 * went to), POLL -> MSG topic text | EMPTY, STATS -> STATS ticks=n
 * published=n.  REL 2: struct client gains members before its bufferevent
 * and struct msg one before its text; STAMP -> STAMP n (the publication
 * number of the client's next message, 0 for one published by release 1).
 * Usage: pubq PORT-FILE
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <stf.h>

#ifndef REL
#define REL 1
#endif

#define NSLOTS 8192
#define MAXCLIENTS 256
#define TAGGED(p) ((uintptr_t)(p) & 1)

/* ---- the store: open addressing over `void *` ---- */

struct entry {
	char *key;
	void *val; /* (n << 1) | 1, or a string */
};

static void *table[NSLOTS]; /* NULL, a struct entry *, or a freed one | 1 */
static size_t nkeys;

static unsigned hash_of(const char *s)
{
	unsigned h = 5381;
	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h;
}

/* The slot of key, or where to put it (-1 if neither). */
static long lookup(const char *key, int for_insert)
{
	long tomb = -1;
	for (unsigned i = 0, h = hash_of(key); i < NSLOTS; i++) {
		long s = (h + i) % NSLOTS;
		if (!table[s])
			return for_insert ? (tomb >= 0 ? tomb : s) : -1;
		if (TAGGED(table[s])) {
			if (tomb < 0)
				tomb = s;
		} else if (!strcmp(((struct entry *)table[s])->key, key))
			return s;
	}
	return for_insert ? tomb : -1;
}

static void val_free(void *v)
{
	if (!TAGGED(v))
		free(v);
}

static void store_set(const char *key, const char *text)
{
	long s = lookup(key, 1), n;
	struct entry *e;
	char *end;
	if (s < 0)
		return;
	if (table[s] && !TAGGED(table[s])) {
		e = table[s];
		val_free(e->val);
	} else {
		e = malloc(sizeof *e);
		e->key = strdup(key);
		table[s] = e;
		nkeys++;
	}
	errno = 0;
	n = strtol(text, &end, 10);
	if (*text && !*end && !errno && n >= 0 && n < (1L << 40))
		e->val = (void *)((uintptr_t)n << 1 | 1);
	else
		e->val = strdup(text);
}

static int store_del(const char *key)
{
	long s = lookup(key, 0);
	struct entry *e;
	if (s < 0)
		return 0;
	e = table[s];
	table[s] = (void *)((uintptr_t)e | 1);
	val_free(e->val);
	free(e->key);
	free(e);
	nkeys--;
	return 1;
}

/* ---- messages and the clients' queues ---- */

struct msg {
	unsigned refs;
	unsigned topic;
#if REL >= 2
	unsigned long stamp; /* new in 2: its publication number */
#endif
	size_t len;
	char text[];
};

struct client {
	void *number; /* the client's number, an integer */
#if REL >= 2
	unsigned long polled; /* new in 2 */
	char name[12];        /* new in 2 */
#endif
	struct bufferevent *bev;
	uint64_t topics; /* a bit per subscribed topic */
	void **ring;     /* struct msg * */
	unsigned head, len, cap;
};

static struct {
	struct event_base *base;
	struct evconnlistener *listener;
	struct event *tick;
	struct bufferevent *bevs[MAXCLIENTS]; /* NULL: a free place */
	unsigned long ticks, published, next_number;
} srv;

static struct client *client_of(struct bufferevent *bev)
{
	void *arg;
	bufferevent_getcb(bev, NULL, NULL, NULL, &arg);
	return arg;
}

static void msg_put(struct msg *m)
{
	if (--m->refs == 0)
		free(m);
}

static void enqueue(struct client *c, struct msg *m)
{
	if (c->len == c->cap) {
		unsigned cap = c->cap ? 2 * c->cap : 4;
		void **ring = realloc(c->ring, cap * sizeof *ring);
		/* unwrap: the slots before head follow the old end */
		memcpy(ring + c->cap, ring, c->head * sizeof *ring);
		c->ring = ring;
		c->cap = cap;
	}
	c->ring[(c->head + c->len++) % c->cap] = m;
	m->refs++;
}

static struct msg *dequeue(struct client *c)
{
	struct msg *m;
	if (!c->len)
		return NULL;
	m = c->ring[c->head]; /* the slot keeps the pointer */
	c->head = (c->head + 1) % c->cap;
	c->len--;
	return m;
}

static void client_free(struct client *c)
{
	for (long i = 0; i < MAXCLIENTS; i++)
		if (srv.bevs[i] == c->bev)
			srv.bevs[i] = NULL;
	for (struct msg *m; (m = dequeue(c));)
		msg_put(m);
	free(c->ring);
	bufferevent_free(c->bev);
	free(c);
}

static unsigned publish(unsigned topic, const char *text)
{
	size_t len = strlen(text);
	struct msg *m = malloc(sizeof *m + len + 1);
	unsigned n = 0;
	m->refs = 1;
	m->topic = topic;
#if REL >= 2
	m->stamp = srv.published + 1;
#endif
	m->len = len;
	memcpy(m->text, text, len + 1);
	for (long i = 0; i < MAXCLIENTS; i++) {
		struct client *c = srv.bevs[i] ? client_of(srv.bevs[i]) : NULL;
		if (c && topic < 64 && (c->topics >> topic & 1)) {
			enqueue(c, m);
			n++;
		}
	}
	srv.published++;
	msg_put(m);
	return n;
}

static void verify(struct evbuffer *out)
{
	size_t n = 0, nc = 0;
	for (long s = 0; s < NSLOTS; s++) {
		struct entry *e = table[s];
		if (!e || TAGGED(e))
			continue;
		n++;
		if (lookup(e->key, 0) != s || (!TAGGED(e->val) && strlen(e->val) > 4096)) {
			evbuffer_add_printf(out, "VERIFY bad slot %ld\n", s);
			return;
		}
	}
	for (long i = 0; i < MAXCLIENTS; i++) {
		struct client *c = srv.bevs[i] ? client_of(srv.bevs[i]) : NULL;
		if (!c)
			continue;
		nc++;
		if (c->bev != srv.bevs[i] || c->len > c->cap || (c->cap && c->head >= c->cap) ||
		    (uintptr_t)c->number == 0 || (uintptr_t)c->number > srv.next_number) {
			evbuffer_add_printf(out, "VERIFY bad client %ld\n", i);
			return;
		}
		for (unsigned j = 0; j < c->len; j++) {
			struct msg *m = c->ring[(c->head + j) % c->cap];
			if (!m->refs || m->topic >= 64 || !(c->topics >> m->topic & 1) ||
			    strlen(m->text) != m->len) {
				evbuffer_add_printf(out, "VERIFY bad message %u of client %ld\n", j, i);
				return;
			}
		}
	}
	if (n != nkeys || !evtimer_pending(srv.tick, NULL)) {
		evbuffer_add_printf(out, "VERIFY bad census %zu/%zu\n", n, nkeys);
		return;
	}
	evbuffer_add_printf(out, "VERIFY ok keys=%zu clients=%zu published=%lu\n", n, nc,
			    srv.published);
}

static void command(struct client *c, char *line, struct evbuffer *out)
{
	char *cmd = strtok(line, " "), *k = strtok(NULL, " "), *v = strtok(NULL, "");
	struct msg *m;
	long s;

	if (!cmd)
		evbuffer_add_printf(out, "ERROR empty\n");
	else if (!strcmp(cmd, "VERSION"))
		evbuffer_add_printf(out, "VERSION pubq %d\n", REL);
	else if (!strcmp(cmd, "VERIFY"))
		verify(out);
	else if (!strcmp(cmd, "STATS"))
		evbuffer_add_printf(out, "STATS ticks=%lu published=%lu\n", srv.ticks, srv.published);
	else if (!strcmp(cmd, "POLL")) {
		if (!(m = dequeue(c))) {
			evbuffer_add_printf(out, "EMPTY\n");
			return;
		}
#if REL >= 2
		c->polled++;
#endif
		evbuffer_add_printf(out, "MSG %u %s\n", m->topic, m->text);
		msg_put(m);
	}
#if REL >= 2
	else if (!strcmp(cmd, "STAMP"))
		evbuffer_add_printf(out, "STAMP %lu\n",
				    c->len ? ((struct msg *)c->ring[c->head])->stamp : 0);
#endif
	else if (!k)
		evbuffer_add_printf(out, "ERROR no argument\n");
	else if (!strcmp(cmd, "SUB") && atoi(k) >= 0 && atoi(k) < 64) {
		c->topics |= 1ULL << atoi(k);
		evbuffer_add_printf(out, "OK\n");
	} else if (!strcmp(cmd, "PUB") && v)
		evbuffer_add_printf(out, "OK %u\n", publish(atoi(k), v));
	else if (!strcmp(cmd, "SET") && v) {
		store_set(k, v);
		evbuffer_add_printf(out, "OK\n");
	} else if (!strcmp(cmd, "GET")) {
		void *val = (s = lookup(k, 0)) < 0 ? NULL : ((struct entry *)table[s])->val;
		if (!val)
			evbuffer_add_printf(out, "NONE\n");
		else if (TAGGED(val))
			evbuffer_add_printf(out, "VALUE %ld\n", (long)((uintptr_t)val >> 1));
		else
			evbuffer_add_printf(out, "VALUE %s\n", (char *)val);
	} else if (!strcmp(cmd, "DEL"))
		evbuffer_add_printf(out, store_del(k) ? "OK\n" : "NONE\n");
	else
		evbuffer_add_printf(out, "ERROR unknown command %s\n", cmd);
}

static void on_read(struct bufferevent *bev, void *arg)
{
	struct evbuffer *in = bufferevent_get_input(bev), *out = bufferevent_get_output(bev);
	char *line;
	while ((line = evbuffer_readln(in, NULL, EVBUFFER_EOL_CRLF))) {
		command(arg, line, out);
		free(line);
	}
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		client_free(arg);
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
		      int salen, void *arg)
{
	struct client *c;
	long i;
	(void)l, (void)sa, (void)salen, (void)arg;
	for (i = 0; i < MAXCLIENTS && srv.bevs[i]; i++)
		;
	if (i == MAXCLIENTS) {
		evutil_closesocket(fd);
		return;
	}
	c = calloc(1, sizeof *c);
	c->number = (void *)(uintptr_t)++srv.next_number;
#if REL >= 2
	snprintf(c->name, sizeof c->name, "c%lu", srv.next_number);
#endif
	c->bev = bufferevent_socket_new(srv.base, fd, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(c->bev, on_read, NULL, on_event, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	srv.bevs[i] = c->bev;
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	static const struct timeval period = { 0, 50000 };
	(void)fd, (void)what, (void)arg;
	stf_update_point();
	srv.ticks++;
	evtimer_add(srv.tick, &period);
}

static void start(const char *port_file)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof sa;
	FILE *f;

	srv.base = event_base_new();
	srv.listener = evconnlistener_new_bind(srv.base, on_accept, NULL,
					       LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 128,
					       (struct sockaddr *)&sa, sizeof sa);
	if (!srv.listener ||
	    getsockname(evconnlistener_get_fd(srv.listener), (struct sockaddr *)&sa, &len)) {
		perror("pubq: listen");
		exit(1);
	}
	srv.tick = evtimer_new(srv.base, on_tick, NULL);
	f = fopen(port_file, "w");
	if (!f || fprintf(f, "%d\n", ntohs(sa.sin_port)) < 0 || fclose(f)) {
		perror(port_file);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: pubq PORT-FILE\n");
		return 2;
	}
	if (!stf_is_updating())
		start(argv[1]);
	on_tick(-1, 0, NULL);
	event_base_dispatch(srv.base);
	fprintf(stderr, "pubq: the event loop ended\n");
	return 1;
}
