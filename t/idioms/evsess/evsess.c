/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * evsess - a key-value server on libevent, an idiom test server of ttst
 * (t/idioms/evsess.sh, wave 22's hunt), written as a libevent program is:
 * an evconnlistener accepts; each session is a bufferevent whose input
 * evbuffer keeps a partial request until its line ends, with an idle
 * timer embedded in the session (event_assign, persistent, re-armed by
 * each request); the server's static struct embeds a persistent sweep
 * timer, a SIGHUP signal event and the event on stf_update_fd(); a DEL
 * moves the item to a graveyard and schedules its burial with
 * event_base_once (the item is the callback's argument, held by libevent
 * until it fires).  Protocol (one line each way):
 *
 *   SET key value -> OK            GET key -> VALUE value | NONE
 *   DEL key       -> OK | NONE     VERSION -> VERSION evsess REL
 *   GRAVE key     -> GRAVE pending | GRAVE none (deleted, not yet buried)
 *   STATS         -> STATS sweeps=n hups=n buried=n graves=n sessions=n
 *   VERIFY        -> VERIFY ok keys=n sessions=n graves=n | VERIFY bad ...
 *
 * Release 2 grows the session before and after its idle event, adds to it
 * a pointer to the limits it is served under (never NULL: set at accept,
 * and by an stf_on_commit() hook for the sessions release 1 made), and
 * adds to the server's struct, before its events, a pointer to counters
 * its startup allocates.
 *
 * Usage: evsess PORT-FILE
 */
#define _GNU_SOURCE
#ifdef IDIOM_O0
#pragma GCC optimize("O0")   /* the -O0 build of its test (-O2 by default) */
#endif
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <event2/listener.h>

#include <stf.h>

#include "../port-listener.h"

#ifndef REL
#define REL 1
#endif
#define NBUCKETS 512
#define IDLE_SECONDS 120
#define BURIAL_SECONDS 2

struct item {
	struct item *next;
	char *key;
	char *value;
	int dead;               /* in the graveyard, burial scheduled */
};

#if REL >= 2
struct limits {
	size_t max_line;
	const char *name;
};
static const struct limits default_limits = { 1024, "default" };

struct counters {
	unsigned long gets, sets;
};
#endif

struct session {
#if REL >= 2
	unsigned long serial;           /* order of accept, 0 for release 1's */
	const struct limits *lim;
#endif
	struct bufferevent *bev;
	struct event idle;
	unsigned long requests;
#if REL >= 2
	size_t bytes_in;
#endif
	struct session *next, **pprev;
};

static struct server {
	struct event_base *base;
	struct evconnlistener *lsn;
#if REL >= 2
	struct counters *counters;
	unsigned long accepted;
#endif
	struct event sweep;
	struct event hup;
	struct event update;
	unsigned long sweeps, hups, buried, graves;
	unsigned long nkeys, nsessions;
	struct session *sessions;
	struct item *graveyard;         /* deleted, burial scheduled */
} srv;

static struct item *buckets[NBUCKETS];

static unsigned bucket_of(const char *s)
{
	unsigned h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h % NBUCKETS;
}

static struct item **lookup(const char *key)
{
	struct item **pp = &buckets[bucket_of(key)];

	while (*pp && strcmp((*pp)->key, key) != 0)
		pp = &(*pp)->next;
	return pp;
}

static void bury(evutil_socket_t fd, short what, void *arg)
{
	struct item *it = arg, **pp;

	(void)fd, (void)what;
	if (!it->dead)
		abort();
	for (pp = &srv.graveyard; *pp != it; pp = &(*pp)->next)
		if (!*pp)
			abort();
	*pp = it->next;
	free(it->key);
	free(it->value);
	free(it);
	srv.graves--;
	srv.buried++;
}

static int del(const char *key)
{
	struct item **pp = lookup(key), *it = *pp;
	struct timeval later = { BURIAL_SECONDS, 0 };

	if (!it)
		return 0;
	*pp = it->next;
	it->next = srv.graveyard;
	srv.graveyard = it;
	it->dead = 1;
	srv.nkeys--;
	srv.graves++;
	if (event_base_once(srv.base, -1, EV_TIMEOUT, bury, it, &later) < 0)
		abort();
	return 1;
}

static void set(const char *key, const char *value)
{
	struct item **pp = lookup(key), *it = *pp;

	if (!it) {
		it = calloc(1, sizeof *it);
		it->key = strdup(key);
		*pp = it;
		srv.nkeys++;
	} else {
		free(it->value);
	}
	it->value = strdup(value);
}

static const char *verify(void)
{
	static char why[160];
	unsigned long keys = 0, n = 0, graves = 0;

	for (int b = 0; b < NBUCKETS; b++)
		for (struct item *it = buckets[b]; it; it = it->next) {
			if (it->dead || bucket_of(it->key) != (unsigned)b) {
				snprintf(why, sizeof why, "item %s misplaced", it->key);
				return why;
			}
			keys++;
		}
	for (struct session *s = srv.sessions; s; s = s->next) {
		struct timeval tv;

		n++;
		if (*s->pprev != s)
			return "session links";
		if (!event_pending(&s->idle, EV_TIMEOUT, &tv) || event_get_base(&s->idle) != srv.base)
			return "a session's idle timer is not pending on the base";
		if (event_get_callback_arg(&s->idle) != s)
			return "a session's idle timer has another argument";
		if (bufferevent_getfd(s->bev) < 0 || bufferevent_get_base(s->bev) != srv.base)
			return "a session's bufferevent";
#if REL >= 2
		if (!s->lim || s->lim->max_line != 1024)
			return "a session without its limits";
#endif
	}
	for (struct item *it = srv.graveyard; it; it = it->next) {
		if (!it->dead)
			return "a live item in the graveyard";
		graves++;
	}
	if (graves != srv.graves)
		return "graves counted wrong";
	if (!event_pending(&srv.sweep, EV_TIMEOUT, NULL) || !event_pending(&srv.hup, EV_SIGNAL, NULL) ||
	    !event_pending(&srv.update, EV_READ, NULL))
		return "a server event is not pending";
#if REL >= 2
	if (!srv.counters)
		return "no counters";
#endif
	if (keys != srv.nkeys || n != srv.nsessions) {
		snprintf(why, sizeof why, "counts: keys %lu/%lu sessions %lu/%lu", keys, srv.nkeys, n,
			 srv.nsessions);
		return why;
	}
	return NULL;
}

static void reply(struct session *s, char *line)
{
	struct evbuffer *out = bufferevent_get_output(s->bev);
	char *cmd = strtok(line, " "), *key = strtok(NULL, " "), *value = strtok(NULL, "");
	struct item *it;
	const char *why;

	s->requests++;
	if (!cmd) {
		evbuffer_add_printf(out, "ERR empty\n");
	} else if (!strcmp(cmd, "SET") && key && value) {
		set(key, value);
#if REL >= 2
		srv.counters->sets++;
#endif
		evbuffer_add_printf(out, "OK\n");
	} else if (!strcmp(cmd, "GET") && key) {
#if REL >= 2
		srv.counters->gets++;
#endif
		it = *lookup(key);
		if (it)
			evbuffer_add_printf(out, "VALUE %s\n", it->value);
		else
			evbuffer_add_printf(out, "NONE\n");
	} else if (!strcmp(cmd, "DEL") && key) {
		evbuffer_add_printf(out, del(key) ? "OK\n" : "NONE\n");
	} else if (!strcmp(cmd, "GRAVE") && key) {
		for (it = srv.graveyard; it && strcmp(it->key, key); it = it->next)
			;
		evbuffer_add_printf(out, "GRAVE %s\n", it ? "pending" : "none");
	} else if (!strcmp(cmd, "VERSION")) {
		evbuffer_add_printf(out, "VERSION evsess %d\n", REL);
	} else if (!strcmp(cmd, "STATS")) {
		evbuffer_add_printf(out, "STATS sweeps=%lu hups=%lu buried=%lu graves=%lu sessions=%lu\n",
				    srv.sweeps, srv.hups, srv.buried, srv.graves, srv.nsessions);
	} else if (!strcmp(cmd, "VERIFY")) {
		why = verify();
		if (why)
			evbuffer_add_printf(out, "VERIFY bad %s\n", why);
		else
			evbuffer_add_printf(out, "VERIFY ok keys=%lu sessions=%lu graves=%lu\n", srv.nkeys,
					    srv.nsessions, srv.graves);
	} else {
		evbuffer_add_printf(out, "ERR unknown\n");
	}
}

static void session_end(struct session *s)
{
	event_del(&s->idle);
	bufferevent_free(s->bev);
	*s->pprev = s->next;
	if (s->next)
		s->next->pprev = s->pprev;
	srv.nsessions--;
	free(s);
}

static void on_read(struct bufferevent *bev, void *arg)
{
	struct session *s = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct timeval idle = { IDLE_SECONDS, 0 };
	size_t len;
	char *line;

	while ((line = evbuffer_readln(in, &len, EVBUFFER_EOL_CRLF))) {
#if REL >= 2
		s->bytes_in += len + 1;
		if (len > s->lim->max_line) {
			free(line);
			session_end(s);
			return;
		}
#endif
		reply(s, line);
		free(line);
	}
	event_add(&s->idle, &idle);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		session_end(arg);
}

static void on_idle(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	session_end(arg);
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa, int len,
		      void *arg)
{
	struct session *s = calloc(1, sizeof *s);
	struct timeval idle = { IDLE_SECONDS, 0 };
	int one = 1;

	(void)l, (void)sa, (void)len, (void)arg;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
#if REL >= 2
	s->serial = ++srv.accepted;
	s->lim = &default_limits;
#endif
	s->bev = bufferevent_socket_new(srv.base, fd, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(s->bev, on_read, NULL, on_event, s);
	bufferevent_enable(s->bev, EV_READ | EV_WRITE);
	event_assign(&s->idle, srv.base, -1, EV_PERSIST, on_idle, s);
	event_add(&s->idle, &idle);
	s->next = srv.sessions;
	if (s->next)
		s->next->pprev = &s->next;
	s->pprev = &srv.sessions;
	srv.sessions = s;
	srv.nsessions++;
}

static void on_sweep(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what, (void)arg;
	srv.sweeps++;
}

static void on_hup(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what, (void)arg;
	srv.hups++;
}

static void on_update(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what, (void)arg;
	stf_update_point();
}

#if REL >= 2
/* Sessions release 1 accepted have no limits yet. */
static void give_limits(void *arg)
{
	(void)arg;
	for (struct session *s = srv.sessions; s; s = s->next)
		if (!s->lim)
			s->lim = &default_limits;
}
#endif

int main(int argc, char **argv)
{
	struct timeval sweep_every = { 0, 100000 };

	if (argc != 2) {
		fprintf(stderr, "usage: evsess PORT-FILE\n");
		return 2;
	}
#if REL >= 2
	srv.counters = calloc(1, sizeof *srv.counters);
	stf_on_commit(give_limits, NULL);
#endif
	if (!stf_is_updating()) {
		int fd = listen_loopback("evsess", SOCK_STREAM | SOCK_NONBLOCK, argv[1]);

		srv.base = event_base_new();
		srv.lsn = evconnlistener_new(srv.base, on_accept, NULL, LEV_OPT_CLOSE_ON_FREE, -1, fd);
		event_assign(&srv.sweep, srv.base, -1, EV_PERSIST, on_sweep, NULL);
		event_add(&srv.sweep, &sweep_every);
		evsignal_assign(&srv.hup, srv.base, SIGHUP, on_hup, NULL);
		event_add(&srv.hup, NULL);
		event_assign(&srv.update, srv.base, stf_update_fd(), EV_READ | EV_PERSIST, on_update, NULL);
		event_add(&srv.update, NULL);
	} else {
		on_update(stf_update_fd(), EV_READ, NULL);
	}
	event_base_dispatch(srv.base);
	fprintf(stderr, "evsess: the loop ended\n");
	return 1;
}
