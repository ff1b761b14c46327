/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * evlibev 1 - a key-value cache whose event loop is run by libev 4, an
 * idiom test server of ttst (t/idioms/evlibev.sh).  One request line, one
 * reply line:
 *
 *   SET key value -> OK            GET key -> VALUE value | NONE
 *   DEL key       -> OK | NONE     VERSION -> VERSION 1
 *   VERIFY        -> VERIFY ok keys=n conns=n ticks=n | VERIFY bad ...
 *
 * Written the way libev servers are: each connection is a heap struct
 * with its two ev_io watchers embedded (read, and write while output is
 * pending; the read watcher finds its connection through its data, the
 * write watcher by its offset), the housekeeping ev_timer (3 s) sits in a
 * heap struct of statistics, the listener's watcher is a static, and the
 * loop is libev's default loop (a static of libev itself, its arrays in
 * libev's heap).  stf_update_fd() is watched by an ev_io whose callback
 * feeds the timer's watcher, so the update point, in the timer's
 * callback, is reached at once when an update is pending.  A process
 * started as the new version creates nothing and calls the timer's
 * callback itself to reach the update point, then runs the loop it
 * received.  VERIFY checks the table, asks libev about every watcher and
 * checks the SIGCHLD handler libev's default loop installed.
 *
 * Release 2 (2/evlibev.c) adds members before and after the watchers of
 * struct conn and around the timer of struct stats.
 *
 * Usage: evlibev PORT-FILE (listens on 127.0.0.1, any free port).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ev.h>

#include <stf.h>
#include "../../port-listener.h"

#define EVLIBEV_VERSION "1"
#define NBUCKETS 1024
#define INBUF 1024
#define OUTBUF 8192
#define TICK_SECONDS 3.

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
	ev_io rio;           /* readable: always active; data: the conn */
	ev_io wio;           /* writable: active while output is left */
	size_t inlen, outlen;
	char in[INBUF];
	char out[OUTBUF];
};

struct stats {
	unsigned long ticks;
	ev_timer tick;       /* housekeeping, and the update point */
};

static struct item *table[NBUCKETS];
static unsigned long nkeys;
static struct conn *conns;
static unsigned long accepted, closed;
static struct ev_loop *loop;
static struct stats *stats;
static ev_io listen_w, update_w;

static void *xmalloc(size_t size)
{
	void *p = malloc(size);

	if (!p) {
		fprintf(stderr, "evlibev: out of memory\n");
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

static void on_read(struct ev_loop *l, ev_io *w, int revents);
static void on_write(struct ev_loop *l, ev_io *w, int revents);
static void on_accept(struct ev_loop *l, ev_io *w, int revents);
static void on_tick(struct ev_loop *l, ev_timer *w, int revents);
static void on_update(struct ev_loop *l, ev_io *w, int revents);

/* The watcher watches fd for events with cb and is active or not. */
static int io_is(ev_io *w, int fd, int events, void (*cb)(struct ev_loop *, ev_io *, int),
		 int want_active)
{
	return w->fd == fd && (w->events & (EV_READ | EV_WRITE)) == events && w->cb == cb &&
	       !!ev_is_active(w) == want_active;
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
	for (struct conn *c = conns; c; c = c->next, ++*nconns) {
		if (!io_is(&c->rio, c->fd, EV_READ, on_read, 1) || c->rio.data != c ||
		    !io_is(&c->wio, c->fd, EV_WRITE, on_write, c->outlen > 0)) {
			snprintf(why, sizeof why, "watchers of the connection on descriptor %d", c->fd);
			return why;
		}
	}
	if (*nconns != accepted - closed)
		return "connections counted wrong";
	if (!ev_is_default_loop(loop) || ev_default_loop(0) != loop)
		return "the loop is not libev's default loop";
	struct sigaction sa;
	if (sigaction(SIGCHLD, NULL, &sa) < 0 || sa.sa_handler == SIG_DFL)
		return "no SIGCHLD handler (the default loop's, which libev installed)";
	if (!io_is(&listen_w, listen_w.fd, EV_READ, on_accept, 1) ||
	    !io_is(&update_w, stf_update_fd(), EV_READ, on_update, 1))
		return "listener or update watcher";
	if (!ev_is_active(&stats->tick) || stats->tick.cb != on_tick ||
	    ev_timer_remaining(loop, &stats->tick) > TICK_SECONDS + 1)
		return "the housekeeping timer";
	return NULL;
}

static void conn_close(struct conn *c)
{
	struct conn **link = &conns;

	while (*link != c)
		link = &(*link)->next;
	*link = c->next;
	ev_io_stop(loop, &c->rio);
	ev_io_stop(loop, &c->wio);
	close(c->fd);
	free(c);
	closed++;
}

static void flush(struct conn *c)
{
	ssize_t n = send(c->fd, c->out, c->outlen, MSG_NOSIGNAL);

	if (n > 0) {
		memmove(c->out, c->out + n, c->outlen - n);
		c->outlen -= n;
	}
	if (c->outlen)
		ev_io_start(loop, &c->wio);
	else
		ev_io_stop(loop, &c->wio);
}

/* Queue a reply and write what the socket takes. */
static void reply(struct conn *c, const char *text)
{
	size_t len = strlen(text);

	if (len > sizeof c->out - c->outlen)
		return;   /* the client does not read its replies: drop them */
	memcpy(c->out + c->outlen, text, len);
	c->outlen += len;
	flush(c);
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
		reply(c, "VERSION " EVLIBEV_VERSION "\n");
	} else if (strcmp(line, "VERIFY") == 0) {
		unsigned long n;
		const char *why = verify(&n);

		if (why)
			snprintf(out, sizeof out, "VERIFY bad %s\n", why);
		else
			snprintf(out, sizeof out, "VERIFY ok keys=%lu conns=%lu ticks=%lu\n",
				 nkeys, n, stats->ticks);
		reply(c, out);
	} else {
		reply(c, "ERR bad request\n");
	}
}

static void on_read(struct ev_loop *l, ev_io *w, int revents)
{
	struct conn *c = w->data;
	ssize_t n = recv(c->fd, c->in + c->inlen, sizeof c->in - c->inlen, 0);
	char *nl;

	(void)l, (void)revents;
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

static void on_write(struct ev_loop *l, ev_io *w, int revents)
{
	(void)l, (void)revents;
	flush((struct conn *)((char *)w - offsetof(struct conn, wio)));
}

static void on_accept(struct ev_loop *l, ev_io *w, int revents)
{
	int fd = accept(w->fd, NULL, NULL);
	struct conn *c;
	int one = 1;

	(void)revents;
	if (fd < 0)
		return;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	c = xmalloc(sizeof *c);
	c->fd = fd;
	c->inlen = c->outlen = 0;
	ev_io_init(&c->rio, on_read, fd, EV_READ);
	c->rio.data = c;
	ev_io_init(&c->wio, on_write, fd, EV_WRITE);
	ev_io_start(l, &c->rio);
	c->next = conns;
	conns = c;
	accepted++;
}

/* Housekeeping every 3 s, and the update point: fed at once by on_update
 * (EV_CUSTOM) while an update is pending. */
static void on_tick(struct ev_loop *l, ev_timer *w, int revents)
{
	(void)l, (void)w;
	if (revents & EV_TIMER)
		stats->ticks++;
	stf_update_point();
}

/* stf_update_fd() is readable: an update is pending. */
static void on_update(struct ev_loop *l, ev_io *w, int revents)
{
	(void)w, (void)revents;
	ev_feed_event(l, &stats->tick, EV_CUSTOM);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: evlibev PORT-FILE\n");
		return 2;
	}
	if (!stf_is_updating()) {
		loop = ev_default_loop(0);
		if (!loop) {
			fprintf(stderr, "evlibev: no libev default loop\n");
			return 1;
		}
		ev_io_init(&listen_w, on_accept, listen_loopback("evlibev", SOCK_STREAM | SOCK_NONBLOCK, argv[1]),
		           EV_READ);
		ev_io_start(loop, &listen_w);
		stats = xmalloc(sizeof *stats);
		stats->ticks = 0;
		ev_timer_init(&stats->tick, on_tick, TICK_SECONDS, TICK_SECONDS);
		ev_timer_start(loop, &stats->tick);
		ev_io_init(&update_w, on_update, stf_update_fd(), EV_READ);
		ev_io_start(loop, &update_w);
	} else {
		/* The new version of an update: its state arrives at the
		 * update point. */
		on_tick(loop, NULL, EV_CUSTOM);
	}
	ev_run(loop, 0);
	fprintf(stderr, "evlibev: the event loop ended\n");
	return 1;
}
