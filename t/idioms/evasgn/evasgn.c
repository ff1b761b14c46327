/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * evasgn - a key-value server on libevent written as a stranger would
 * (wave 10's red team): every connection's events are embedded in its
 * struct and set up with event_assign(); the read event's argument is the
 * connection, the write event's is the event itself (event_self_cbarg():
 * the callback finds its connection with container_of), and the idle timer
 * finds it with event_get_callback_arg() on the read event.  Input and
 * output are libevent evbuffers (evbuffer_read, evbuffer_readln,
 * evbuffer_add_printf, evbuffer_write).  A static struct holds the
 * housekeeping timer, whose argument is a heap struct of counters reached
 * only through that event (read back with event_get_callback_arg).  The
 * store is an array of slots whose values are a union (a number or a
 * string) tagged by an enum kept apart, in an array of its own.  The update
 * point is the callback of an event on stf_update_fd().
 *
 * Protocol: SET k v -> OK, GET k -> VALUE v | NONE, DEL k -> OK | NONE,
 * VERSION, VERIFY, STATS -> STATS ticks=n requests=n.  REL 2: struct conn
 * gains members before its events, the counters one in their middle, and
 * SERVED -> SERVED n (the requests of this connection).
 * Usage: evasgn PORT-FILE
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <stf.h>

#ifndef REL
#define REL 1
#endif

#define NSLOTS 8192
#define container_of(p, type, member) ((type *)((char *)(p) - offsetof(type, member)))

/* ---- the store: slots, their values' kinds kept apart ---- */

enum kind { K_FREE, K_NUM, K_STR, K_GONE };

union value {
	long num;
	char *str;
};

struct slot {
	char *key;
	unsigned hash;
	union value v; /* its kind is kinds[slot index] */
};

static struct slot slots[NSLOTS];
static unsigned char kinds[NSLOTS]; /* enum kind of each slot */
static size_t nkeys;

static unsigned hash_of(const char *s)
{
	unsigned h = 2166136261u;
	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

/* The slot of key, or the first free one on its probe sequence (-1 if full). */
static long slot_find(const char *key, int for_insert)
{
	unsigned h = hash_of(key);
	long tomb = -1;
	for (unsigned i = 0; i < NSLOTS; i++) {
		long s = (h + i) & (NSLOTS - 1);
		if (kinds[s] == K_FREE)
			return for_insert ? (tomb >= 0 ? tomb : s) : -1;
		if (kinds[s] == K_GONE) {
			if (tomb < 0)
				tomb = s;
			continue;
		}
		if (slots[s].hash == h && !strcmp(slots[s].key, key))
			return s;
	}
	return for_insert ? tomb : -1;
}

static void value_drop(long s)
{
	if (kinds[s] == K_STR)
		free(slots[s].v.str);
}

static void store_set(const char *key, const char *val)
{
	long s = slot_find(key, 1);
	char *end;
	if (s < 0)
		return;
	if (kinds[s] == K_NUM || kinds[s] == K_STR) {
		value_drop(s);
	} else {
		slots[s].key = strdup(key);
		slots[s].hash = hash_of(key);
		nkeys++;
	}
	errno = 0;
	long n = strtol(val, &end, 10);
	if (*val && !*end && !errno && strlen(val) < 16) {
		kinds[s] = K_NUM;
		slots[s].v.num = n;
	} else {
		kinds[s] = K_STR;
		slots[s].v.str = strdup(val);
	}
}

static int store_del(const char *key)
{
	long s = slot_find(key, 0);
	if (s < 0)
		return 0;
	value_drop(s);
	free(slots[s].key);
	kinds[s] = K_GONE; /* the key's freed address stays in the slot */
	nkeys--;
	return 1;
}

/* ---- the server ---- */

struct counters {
	unsigned long ticks;
#if REL >= 2
	unsigned long peak_conns; /* new in 2 */
#endif
	unsigned long requests;
};

struct conn {
	int fd;
#if REL >= 2
	unsigned long served; /* new in 2 */
	char tag[12];         /* new in 2 */
#endif
	struct event rd;   /* argument: the conn */
	struct event wr;   /* argument: the event itself */
	struct event idle; /* argument: the conn's read event */
	struct evbuffer *in, *out;
	struct conn *prev, *next;
};

static struct {
	struct event_base *base;
	int listen_fd;
	struct event accept_ev;
	struct event tick;     /* argument: the struct counters */
	struct event update_ev;
	struct conn *conns;
	int nconns;
} srv;

static struct counters *counters(void)
{
	return event_get_callback_arg(&srv.tick);
}

static void conn_close(struct conn *c)
{
	event_del(&c->rd);
	event_del(&c->wr);
	event_del(&c->idle);
	evbuffer_free(c->in);
	evbuffer_free(c->out);
	close(c->fd);
	if (c->prev)
		c->prev->next = c->next;
	else
		srv.conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	srv.nconns--;
	free(c);
}

static void verify(struct evbuffer *out)
{
	size_t n = 0;
	for (long s = 0; s < NSLOTS; s++) {
		if (kinds[s] != K_NUM && kinds[s] != K_STR)
			continue;
		n++;
		if (slots[s].hash != hash_of(slots[s].key) || slot_find(slots[s].key, 0) != s) {
			evbuffer_add_printf(out, "VERIFY bad slot %ld\n", s);
			return;
		}
		if (kinds[s] == K_STR && strlen(slots[s].v.str) > 4096) {
			evbuffer_add_printf(out, "VERIFY bad value %ld\n", s);
			return;
		}
	}
	int nc = 0;
	for (struct conn *c = srv.conns; c; c = c->next, nc++)
		if (event_get_callback_arg(&c->rd) != c || event_get_callback_arg(&c->wr) != &c->wr ||
		    event_get_callback_arg(&c->idle) != &c->rd || event_get_fd(&c->rd) != c->fd ||
		    !event_pending(&c->rd, EV_READ, NULL) || !event_pending(&c->idle, EV_TIMEOUT, NULL) ||
		    event_get_base(&c->rd) != srv.base) {
			evbuffer_add_printf(out, "VERIFY bad conn %d\n", nc);
			return;
		}
	if (n != nkeys || nc != srv.nconns || !event_pending(&srv.tick, EV_TIMEOUT, NULL)) {
		evbuffer_add_printf(out, "VERIFY bad census %zu/%zu %d/%d\n", n, nkeys, nc, srv.nconns);
		return;
	}
	evbuffer_add_printf(out, "VERIFY ok keys=%zu conns=%d ticks=%lu\n", n, nc, counters()->ticks);
}

static void command(struct conn *c, char *line)
{
	char *cmd = strtok(line, " "), *k = strtok(NULL, " "), *v = strtok(NULL, "");
	struct evbuffer *out = c->out;
	long s;

	counters()->requests++;
#if REL >= 2
	c->served++;
#endif
	if (!cmd)
		evbuffer_add_printf(out, "ERROR empty\n");
	else if (!strcmp(cmd, "VERSION"))
		evbuffer_add_printf(out, "VERSION evasgn %d\n", REL);
	else if (!strcmp(cmd, "VERIFY"))
		verify(out);
	else if (!strcmp(cmd, "STATS"))
		evbuffer_add_printf(out, "STATS ticks=%lu requests=%lu\n", counters()->ticks,
				    counters()->requests);
#if REL >= 2
	else if (!strcmp(cmd, "SERVED"))
		evbuffer_add_printf(out, "SERVED %lu\n", c->served);
#endif
	else if (!k)
		evbuffer_add_printf(out, "ERROR no key\n");
	else if (!strcmp(cmd, "SET") && v) {
		store_set(k, v);
		evbuffer_add_printf(out, "OK\n");
	} else if (!strcmp(cmd, "GET")) {
		if ((s = slot_find(k, 0)) < 0)
			evbuffer_add_printf(out, "NONE\n");
		else if (kinds[s] == K_NUM)
			evbuffer_add_printf(out, "VALUE %ld\n", slots[s].v.num);
		else
			evbuffer_add_printf(out, "VALUE %s\n", slots[s].v.str);
	} else if (!strcmp(cmd, "DEL"))
		evbuffer_add_printf(out, store_del(k) ? "OK\n" : "NONE\n");
	else
		evbuffer_add_printf(out, "ERROR unknown command %s\n", cmd);
}

static void on_write(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = container_of((struct event *)arg, struct conn, wr);
	(void)what;
	if (evbuffer_write(c->out, fd) < 0 && errno != EAGAIN && errno != EINTR) {
		conn_close(c);
		return;
	}
	if (evbuffer_get_length(c->out))
		event_add(&c->wr, NULL);
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
	static const struct timeval idle = { 300, 0 };
	struct conn *c = arg;
	char *line;
	(void)what;
	int r = evbuffer_read(c->in, fd, 4096);
	if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
		conn_close(c);
		return;
	}
	while ((line = evbuffer_readln(c->in, NULL, EVBUFFER_EOL_CRLF))) {
		command(c, line);
		free(line);
	}
	event_add(&c->idle, &idle);
	on_write(fd, EV_WRITE, &c->wr);
}

static void on_idle(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	conn_close(event_get_callback_arg((struct event *)arg));
}

static void on_accept(evutil_socket_t lfd, short what, void *arg)
{
	static const struct timeval idle = { 300, 0 };
	(void)what, (void)arg;
	int fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		return;
	evutil_make_socket_nonblocking(fd);
	struct conn *c = calloc(1, sizeof *c);
	c->fd = fd;
	c->in = evbuffer_new();
	c->out = evbuffer_new();
	event_assign(&c->rd, srv.base, fd, EV_READ | EV_PERSIST, on_read, c);
	event_assign(&c->wr, srv.base, fd, EV_WRITE, on_write, event_self_cbarg());
	event_assign(&c->idle, srv.base, -1, 0, on_idle, &c->rd);
	event_add(&c->rd, NULL);
	event_add(&c->idle, &idle);
#if REL >= 2
	snprintf(c->tag, sizeof c->tag, "c%d", fd);
#endif
	c->next = srv.conns;
	if (c->next)
		c->next->prev = c;
	srv.conns = c;
	srv.nconns++;
#if REL >= 2
	if ((unsigned long)srv.nconns > counters()->peak_conns)
		counters()->peak_conns = srv.nconns;
#endif
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct counters *k = arg;
	(void)fd, (void)what;
	k->ticks++;
}

static void on_update(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what, (void)arg;
	stf_update_point();
}

static void start(const char *port_file)
{
	static const struct timeval tick = { 0, 100000 };
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof sa;
	FILE *f;

	srv.base = event_base_new();
	srv.listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	if (!srv.base || srv.listen_fd < 0 || bind(srv.listen_fd, (struct sockaddr *)&sa, sizeof sa) ||
	    listen(srv.listen_fd, 128) || getsockname(srv.listen_fd, (struct sockaddr *)&sa, &len)) {
		perror("evasgn: listen");
		exit(1);
	}
	evutil_make_socket_nonblocking(srv.listen_fd);
	event_assign(&srv.accept_ev, srv.base, srv.listen_fd, EV_READ | EV_PERSIST, on_accept, NULL);
	event_add(&srv.accept_ev, NULL);
	/* Allocated into a typed local.  Allocated in the call itself, its
	 * site would take no type here: this program also reads events'
	 * arguments back with event_get_callback_arg, which joins the uses of
	 * every event's argument (several types: none), and the update rolls
	 * back naming the block (t/xfer/red10-evarg has no such read). */
	struct counters *k = calloc(1, sizeof *k);
	event_assign(&srv.tick, srv.base, -1, EV_PERSIST, on_tick, k);
	event_add(&srv.tick, &tick);
	event_assign(&srv.update_ev, srv.base, stf_update_fd(), EV_READ | EV_PERSIST, on_update, NULL);
	event_add(&srv.update_ev, NULL);
	f = fopen(port_file, "w");
	if (!f || fprintf(f, "%d\n", ntohs(sa.sin_port)) < 0 || fclose(f)) {
		perror(port_file);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: evasgn PORT-FILE\n");
		return 2;
	}
	if (!stf_is_updating())
		start(argv[1]);
	else
		on_update(stf_update_fd(), EV_READ, NULL);
	event_base_dispatch(srv.base);
	fprintf(stderr, "evasgn: the event loop ended\n");
	return 1;
}
