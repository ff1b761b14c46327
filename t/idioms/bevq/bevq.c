/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * bevq - a key-value server on libevent bufferevents, written the way a
 * libevent user writes one: a per-client struct handed to the callbacks
 * as their void * argument, replies queued in a per-client evbuffer and
 * flushed by a short timer (so output is pending at any moment), a
 * periodic stats timer, an idle timer per client, values kept in
 * evbuffers of their own in a sorted array of records, and per-client
 * counters kept in `void *` user-data slots.
 *
 * Protocol (one line per request, one line per reply):
 *   SET k v -> OK      GET k -> VALUE v | NONE     DEL k -> OK | NONE
 *   VERSION -> VERSION bevq REL   VERIFY -> VERIFY ok keys=N clients=M | VERIFY bad why
 *   STATS -> STATS requests=N clients=M ticks=T   (REL 2: also COUNT k -> COUNT n)
 * Usage: bevq PORT-FILE
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stf.h>

#ifndef REL
#define REL 1
#endif
#pragma GCC optimize("O0") /* both releases built at -O0 */

enum { U_REQUESTS, U_BYTES_IN, U_LAST_CMD, U_NSLOTS };

struct client {
#if REL >= 2
	uint64_t serial;                /* new in 2: before everything */
#endif
	struct bufferevent *bev;
	struct evbuffer *pending;       /* replies not yet handed to bev */
	struct event *idle;
	struct client *prev, *next;
	void *udata[U_NSLOTS];          /* counters, stored as pointers */
	unsigned id;
#if REL >= 2
	unsigned short counted;         /* COUNT requests */
#endif
	char peer[24];
};

struct record {
	char *key;
	struct evbuffer *value;
	size_t value_len;               /* kept to check the evbuffer */
#if REL >= 2
	unsigned reads;
#endif
};

struct stats {
	unsigned long requests, ticks;
	unsigned clients;
	struct event *tick;             /* self-referring: the stats timer */
};

static struct event_base *base;
static struct evconnlistener *listener;
static struct event *flush_timer, *update_ev;
static struct client *clients;  /* a doubly linked list */
static struct record **records; /* sorted by key */
static size_t nrecords, caprecords;
static struct stats stats;
static unsigned next_id = 1;

static void *slot_add(void *slot, uintptr_t n)
{
	return (void *)((uintptr_t)slot + n);
}

/* The index of key, or -(insertion point) - 1. */
static long find(const char *key)
{
	size_t lo = 0, hi = nrecords;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(records[mid]->key, key);
		if (!c)
			return (long)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -(long)lo - 1;
}

static int set(const char *key, const char *value)
{
	long at = find(key);
	struct record *r;
	if (at >= 0) {
		r = records[at];
		evbuffer_drain(r->value, evbuffer_get_length(r->value));
	} else {
		if (nrecords == caprecords) {
			size_t ncap = caprecords ? caprecords * 2 : 16;
			struct record **n = realloc(records, ncap * sizeof(*n));
			if (!n)
				return -1;
			records = n;
			caprecords = ncap;
		}
		r = calloc(1, sizeof(*r));
		if (!r || !(r->key = strdup(key)) || !(r->value = evbuffer_new())) {
			if (r)
				free(r->key);
			free(r);
			return -1;
		}
		size_t i = (size_t)(-at - 1);
		memmove(records + i + 1, records + i, (nrecords - i) * sizeof(*records));
		records[i] = r;
		nrecords++;
	}
	/* a value in two pieces, as a protocol that streams it would add it */
	size_t len = strlen(value), half = len / 2;
	evbuffer_add(r->value, value, half);
	evbuffer_add(r->value, value + half, len - half);
	r->value_len = len;
	return 0;
}

static int del(const char *key)
{
	long at = find(key);
	if (at < 0)
		return 0;
	struct record *r = records[at];
	memmove(records + at, records + at + 1, (nrecords - at - 1) * sizeof(*records));
	nrecords--;
	evbuffer_free(r->value);
	free(r->key);
	free(r);
	return 1;
}

static void reply(struct client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void reply(struct client *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	evbuffer_add_vprintf(c->pending, fmt, ap);
	va_end(ap);
	evbuffer_add(c->pending, "\n", 1);
}

static const char *verify(char *why, size_t size)
{
	for (size_t i = 0; i < nrecords; i++) {
		if (i && strcmp(records[i - 1]->key, records[i]->key) >= 0) {
			snprintf(why, size, "records out of order at %zu", i);
			return why;
		}
		if (evbuffer_get_length(records[i]->value) != records[i]->value_len) {
			snprintf(why, size, "value of %s: %zu bytes, %zu recorded", records[i]->key,
				 evbuffer_get_length(records[i]->value), records[i]->value_len);
			return why;
		}
	}
	unsigned n = 0;
	for (struct client *c = clients; c; c = c->next, n++) {
		void *arg = NULL;
		bufferevent_getcb(c->bev, NULL, NULL, NULL, &arg);
		if ((c->next && c->next->prev != c) || arg != c) {
			snprintf(why, size, "client %u: broken links", c->id);
			return why;
		}
	}
	if (n != stats.clients) {
		snprintf(why, size, "%u clients listed, %u counted", n, stats.clients);
		return why;
	}
	if (event_get_callback_arg(stats.tick) != &stats) {
		snprintf(why, size, "stats timer lost its argument");
		return why;
	}
	return NULL;
}

static void request(struct client *c, char *line)
{
	char *cmd = strtok(line, " "), *a = strtok(NULL, " "), *b = strtok(NULL, "");
	char why[160];
	stats.requests++;
	c->udata[U_REQUESTS] = slot_add(c->udata[U_REQUESTS], 1);
	if (!cmd) {
		reply(c, "ERROR empty");
	} else if (!strcmp(cmd, "SET") && a && b) {
		c->udata[U_LAST_CMD] = (void *)1;
		reply(c, set(a, b) < 0 ? "ERROR memory" : "OK");
	} else if (!strcmp(cmd, "GET") && a) {
		c->udata[U_LAST_CMD] = (void *)2;
		long at = find(a);
		if (at < 0) {
			reply(c, "NONE");
		} else {
			struct record *r = records[at];
#if REL >= 2
			r->reads++;
#endif
			evbuffer_add(c->pending, "VALUE ", 6);
			if (evbuffer_add_buffer_reference(c->pending, r->value) < 0)
				evbuffer_add_printf(c->pending, "?");
			evbuffer_add(c->pending, "\n", 1);
		}
	} else if (!strcmp(cmd, "DEL") && a) {
		c->udata[U_LAST_CMD] = (void *)3;
		reply(c, del(a) ? "OK" : "NONE");
	} else if (!strcmp(cmd, "VERSION")) {
		reply(c, "VERSION bevq %d", REL);
	} else if (!strcmp(cmd, "VERIFY")) {
		const char *bad = verify(why, sizeof why);
		if (bad)
			reply(c, "VERIFY bad %s", bad);
		else
			reply(c, "VERIFY ok keys=%zu clients=%u", nrecords, stats.clients);
	} else if (!strcmp(cmd, "STATS")) {
		reply(c, "STATS requests=%lu clients=%u mine=%lu", stats.requests, stats.clients,
		      (unsigned long)(uintptr_t)c->udata[U_REQUESTS]);
#if REL >= 2
	} else if (!strcmp(cmd, "COUNT") && a) {
		long at = find(a);
		c->counted++;
		reply(c, "COUNT %u", at < 0 ? 0 : records[at]->reads);
#endif
	} else {
		reply(c, "ERROR unknown %s", cmd);
	}
}

static void client_free(struct client *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		clients = c->next;
	if (c->next)
		c->next->prev = c->prev;
	stats.clients--;
	bufferevent_free(c->bev);
	evbuffer_free(c->pending);
	event_free(c->idle);
	free(c);
}

static void on_read(struct bufferevent *bev, void *arg)
{
	struct client *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	char *line;
	size_t len;
	c->udata[U_BYTES_IN] = slot_add(c->udata[U_BYTES_IN], evbuffer_get_length(in));
	while ((line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF))) {
		request(c, line);
		free(line);
	}
	struct timeval idle = { 120, 0 };
	evtimer_add(c->idle, &idle);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		client_free(arg);
}

static void on_idle(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	client_free(arg);
}

/* Hands every client's queued replies to its bufferevent. */
static void on_flush(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what, (void)arg;
	for (struct client *c = clients; c; c = c->next)
		if (evbuffer_get_length(c->pending))
			bufferevent_write_buffer(c->bev, c->pending);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	struct stats *s = arg;
	s->ticks++;
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int len,
		      void *arg)
{
	(void)l, (void)len, (void)arg;
	struct client *c = calloc(1, sizeof(*c));
	if (!c) {
		close(fd);
		return;
	}
	c->bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	c->pending = evbuffer_new();
	c->idle = evtimer_new(base, on_idle, c);
	if (!c->bev || !c->pending || !c->idle) {
		close(fd);
		free(c);
		return;
	}
	c->id = next_id++;
#if REL >= 2
	c->serial = 1000000 + c->id;
#endif
	inet_ntop(AF_INET, &((struct sockaddr_in *)sa)->sin_addr, c->peer, sizeof c->peer);
	bufferevent_setcb(c->bev, on_read, NULL, on_event, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	c->next = clients;
	if (clients)
		clients->prev = c;
	clients = c;
	stats.clients++;
}

static void on_update(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what, (void)arg;
	stf_update_point();
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: bevq PORT-FILE\n");
		return 2;
	}
	if (!stf_is_updating()) {
		struct sockaddr_in sa = { .sin_family = AF_INET,
					  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		socklen_t sl = sizeof sa;
		base = event_base_new();
		listener = evconnlistener_new_bind(base, on_accept, NULL,
						   LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_FREE, 64,
						   (struct sockaddr *)&sa, sizeof sa);
		if (!base || !listener) {
			perror("bevq: listen");
			return 1;
		}
		getsockname(evconnlistener_get_fd(listener), (struct sockaddr *)&sa, &sl);
		struct timeval ms = { 0, 1000 }, tick = { 0, 100000 };
		flush_timer = event_new(base, -1, EV_PERSIST, on_flush, NULL);
		stats.tick = event_new(base, -1, EV_PERSIST, on_tick, &stats);
		update_ev = event_new(base, stf_update_fd(), EV_READ | EV_PERSIST, on_update, NULL);
		event_add(flush_timer, &ms);
		event_add(stats.tick, &tick);
		event_add(update_ev, NULL);
		FILE *f = fopen(argv[1], "w");
		if (!f || fprintf(f, "%d\n", ntohs(sa.sin_port)) < 0 || fclose(f)) {
			perror(argv[1]);
			return 1;
		}
	} else {
		on_update(stf_update_fd(), EV_READ, NULL); /* the state arrives here */
	}
	event_base_dispatch(base);
	return 0;
}
