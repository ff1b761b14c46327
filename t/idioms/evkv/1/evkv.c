/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * evkv 1 - a key-value cache whose event loop is run by libevent 2.1, an
 * idiom test server of ttst (t/idioms/evkv.sh).  One request line, one
 * reply line:
 *
 *   SET key value -> OK            GET key -> VALUE value | NONE
 *   DEL key       -> OK | NONE     VERSION -> VERSION 1
 *   VERIFY        -> VERIFY ok keys=n conns=n ticks=n | VERIFY bad ...
 *
 * Written the way libevent servers are: each connection is a heap struct
 * with its two `struct event`s embedded (read, and write while output is
 * pending), the listener's and the housekeeping timer's events are
 * statics, the event_base is libevent's own (allocated in its heap).  The
 * loop is libevent's, so the update point is in the 100 ms timer callback;
 * a process started as the new version of an update creates nothing and
 * calls that callback itself to reach the update point, then runs the loop
 * of the base it received.  VERIFY checks the table and asks libevent
 * about every event: its base, descriptor, callback, argument and whether
 * it is pending.
 *
 * Release 2 (2/evkv.c) adds members before and after the embedded events
 * of struct conn and one to struct value.
 *
 * Usage: evkv PORT-FILE (listens on 127.0.0.1, any free port).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/event_struct.h>

#include <stf.h>
#include "../../port-listener.h"

#define EVKV_VERSION "1"
#define NBUCKETS 1024
#define INBUF 1024
#define OUTBUF 8192

struct value {
	size_t len;
	char *data;
};

struct item {
	struct item *next;   /* hash chain */
	char *key;
	struct value *val;
};

struct conn {
	struct conn *next;   /* all connections */
	int fd;
	struct event rev;    /* readable: always pending */
	struct event wev;    /* writable: pending while output is left */
	size_t inlen, outlen;
	char in[INBUF];
	char out[OUTBUF];
};

static struct item *table[NBUCKETS];
static unsigned long nkeys;
static struct conn *conns;
static unsigned long accepted, closed;
static struct event_base *base;
static struct event listen_ev, tick_ev;
static const struct timeval tick_interval = { 0, 100000 };
static unsigned long ticks;

static void *xmalloc(size_t size)
{
	void *p = malloc(size);

	if (!p) {
		fprintf(stderr, "evkv: out of memory\n");
		abort();
	}
	return p;
}

static unsigned hash_key(const char *s)
{
	unsigned h = 5381;

	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h;
}

static struct value *value_new(const char *text)
{
	struct value *v = xmalloc(sizeof *v);

	v->len = strlen(text);
	v->data = strdup(text);
	return v;
}

static void value_free(struct value *v)
{
	free(v->data);
	free(v);
}

static struct item **find(const char *key)
{
	struct item **link = &table[hash_key(key) % NBUCKETS];

	while (*link && strcmp((*link)->key, key) != 0)
		link = &(*link)->next;
	return link;
}

static void set(const char *key, const char *text)
{
	struct item **link = find(key), *it = *link;

	if (it) {
		value_free(it->val);
	} else {
		it = xmalloc(sizeof *it);
		it->key = strdup(key);
		it->next = NULL;
		*link = it;
		nkeys++;
	}
	it->val = value_new(text);
}

static int del(const char *key)
{
	struct item **link = find(key), *it = *link;

	if (!it)
		return 0;
	*link = it->next;
	value_free(it->val);
	free(it->key);
	free(it);
	nkeys--;
	return 1;
}

static void on_read(evutil_socket_t fd, short what, void *arg);
static void on_write(evutil_socket_t fd, short what, void *arg);
static void on_accept(evutil_socket_t fd, short what, void *arg);
static void on_tick(evutil_socket_t fd, short what, void *arg);

/* The event is set up as given and pending (want_pending) or not. */
static int event_is(const struct event *ev, evutil_socket_t fd, short events,
		    event_callback_fn cb, void *arg, int want_pending)
{
	return event_get_base(ev) == base && event_get_fd(ev) == fd &&
	       event_get_events(ev) == events && event_get_callback(ev) == cb &&
	       event_get_callback_arg(ev) == arg &&
	       !!event_pending(ev, EV_READ | EV_WRITE | EV_TIMEOUT, NULL) == want_pending;
}

static const char *verify(unsigned long *nconns)
{
	static char why[160];
	unsigned long n = 0;

	for (unsigned b = 0; b < NBUCKETS; b++)
		for (const struct item *it = table[b]; it; it = it->next, n++)
			if (hash_key(it->key) % NBUCKETS != b || strlen(it->val->data) != it->val->len) {
				snprintf(why, sizeof why, "item '%s' in bucket %u, length %zu", it->key,
					 b, it->val->len);
				return why;
			}
	if (n != nkeys)
		return "nkeys is not the number of items";
	*nconns = 0;
	for (const struct conn *c = conns; c; c = c->next, ++*nconns) {
		if (!event_is(&c->rev, c->fd, EV_READ | EV_PERSIST, on_read, (void *)c, 1) ||
		    !event_is(&c->wev, c->fd, EV_WRITE | EV_PERSIST, on_write, (void *)c, c->outlen > 0)) {
			snprintf(why, sizeof why, "events of the connection on descriptor %d", c->fd);
			return why;
		}
	}
	if (*nconns != accepted - closed)
		return "connections counted wrong";
	if (!event_is(&listen_ev, event_get_fd(&listen_ev), EV_READ | EV_PERSIST, on_accept, NULL, 1) ||
	    !event_is(&tick_ev, -1, EV_PERSIST, on_tick, NULL, 1))
		return "listener or timer event";
	return NULL;
}

static void conn_close(struct conn *c)
{
	struct conn **link = &conns;

	while (*link != c)
		link = &(*link)->next;
	*link = c->next;
	event_del(&c->rev);
	event_del(&c->wev);
	close(c->fd);
	free(c);
	closed++;
}

/* Queue a reply and write what the socket takes. */
static void reply(struct conn *c, const char *text)
{
	size_t len = strlen(text);

	if (len > sizeof c->out - c->outlen)
		return;   /* the client does not read its replies: drop them */
	memcpy(c->out + c->outlen, text, len);
	c->outlen += len;
	on_write(c->fd, EV_WRITE, c);
}

static void handle_request(struct conn *c, char *line)
{
	char *arg = strchr(line, ' '), *rest = NULL, out[INBUF + 16];
	struct item *it;

	if (arg) {
		*arg++ = '\0';
		rest = strchr(arg, ' ');
		if (rest)
			*rest++ = '\0';
	}
	if (strcmp(line, "SET") == 0 && arg && rest) {
		set(arg, rest);
		reply(c, "OK\n");
	} else if (strcmp(line, "GET") == 0 && arg) {
		if ((it = *find(arg))) {
			snprintf(out, sizeof out, "VALUE %s\n", it->val->data);
			reply(c, out);
		} else {
			reply(c, "NONE\n");
		}
	} else if (strcmp(line, "DEL") == 0 && arg) {
		reply(c, del(arg) ? "OK\n" : "NONE\n");
	} else if (strcmp(line, "VERSION") == 0) {
		reply(c, "VERSION " EVKV_VERSION "\n");
	} else if (strcmp(line, "VERIFY") == 0) {
		unsigned long n;
		const char *why = verify(&n);

		if (why)
			snprintf(out, sizeof out, "VERIFY bad %s\n", why);
		else
			snprintf(out, sizeof out, "VERIFY ok keys=%lu conns=%lu ticks=%lu\n",
				 nkeys, n, ticks);
		reply(c, out);
	} else {
		reply(c, "ERR bad request\n");
	}
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	ssize_t n = recv(fd, c->in + c->inlen, sizeof c->in - c->inlen, 0);
	char *nl;

	(void)what;
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(c);
		return;
	}
	c->inlen += n;
	while ((nl = memchr(c->in, '\n', c->inlen))) {
		size_t used = nl + 1 - c->in;

		*nl = '\0';
		handle_request(c, c->in);
		memmove(c->in, nl + 1, c->inlen - used);
		c->inlen -= used;
	}
	if (c->inlen == sizeof c->in)
		conn_close(c);
}

static void on_write(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	ssize_t n = send(fd, c->out, c->outlen, MSG_NOSIGNAL);

	(void)what;
	if (n > 0) {
		memmove(c->out, c->out + n, c->outlen - n);
		c->outlen -= n;
	}
	if (c->outlen)
		event_add(&c->wev, NULL);
	else
		event_del(&c->wev);
}

static void on_accept(evutil_socket_t lfd, short what, void *arg)
{
	evutil_socket_t fd = accept(lfd, NULL, NULL);
	struct conn *c;
	int one = 1;

	(void)what, (void)arg;
	if (fd < 0)
		return;
	evutil_make_socket_nonblocking(fd);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	c = xmalloc(sizeof *c);
	c->fd = fd;
	c->inlen = c->outlen = 0;
	event_assign(&c->rev, base, fd, EV_READ | EV_PERSIST, on_read, c);
	event_assign(&c->wev, base, fd, EV_WRITE | EV_PERSIST, on_write, c);
	event_add(&c->rev, NULL);
	c->next = conns;
	conns = c;
	accepted++;
}

/* Housekeeping every 100 ms; the update point of the server. */
static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what, (void)arg;
	ticks++;
	stf_update_point();
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: evkv PORT-FILE\n");
		return 2;
	}
	if (!stf_is_updating()) {
		base = event_base_new();
		if (!base) {
			fprintf(stderr, "evkv: event_base_new failed\n");
			return 1;
		}
		event_assign(&listen_ev, base, listen_loopback("evkv", SOCK_STREAM | SOCK_NONBLOCK, argv[1]),
		             EV_READ | EV_PERSIST, on_accept, NULL);
		event_add(&listen_ev, NULL);
		event_assign(&tick_ev, base, -1, EV_PERSIST, on_tick, NULL);
		event_add(&tick_ev, &tick_interval);
	} else {
		/* The new version of an update: its state arrives at the
		 * update point. */
		on_tick(-1, EV_TIMEOUT, NULL);
	}
	event_base_dispatch(base);
	fprintf(stderr, "evkv: the event loop ended\n");
	return 1;
}
