/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * rawev - a key-value server on libevent's plain events, written the way a
 * C programmer who has never heard of ttst writes one (wave 23's hunt).
 * No bufferevents: the listening socket's event and each client's read
 * event come from event_new with the program's struct as their argument;
 * each client embeds its write event (event_assign'd, added only while
 * output waits) and owns two evbuffers, the input one keeping a partial
 * request until its newline comes (evbuffer_read).  Values are evbuffers;
 * GET replies with evbuffer_add_buffer_reference to the value's buffer.
 * A key may expire: EXPIRE gives its item a timer (evtimer_new, the item
 * its argument).  Clients are in a hash table by descriptor.  A SIGHUP
 * (an evsignal) asks for a reload 2 s later, by a timer whose argument is
 * itself (event_self_cbarg) and which frees itself.  Commands come from a table
 * {name, min args, handler}.  The update point is in the callback of an
 * event on stf_update_fd().
 *
 * Protocol: SET k v -> OK, GET k -> VALUE v | NONE, DEL k -> OK | NONE,
 * VERSION, VERIFY, EXPIRE k ms -> OK | NONE (the key goes after ms
 * milliseconds), TTL k -> TTL 1 (expiring) | TTL 0 | NONE, HUPS -> HUPS n.
 * REL 2: struct client grows before its write event, struct item before
 * its value; the config gains a pointer to limits its startup sets (in
 * every start, before the update point); APPEND k v -> OK joins the
 * command table in its middle.
 * Usage: rawev PORT-FILE
 */
#define _GNU_SOURCE
#ifdef IDIOM_O0
#pragma GCC optimize("O0")   /* the -O0 build of its test (-O2 by default) */
#endif
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <stf.h>
#include "../port-listener.h"

#ifndef REL
#define REL 1
#endif

#define MAXARGS 3
#define CLIENT_BUCKETS 64
#define ITEM_BUCKETS 512

struct item {
	struct item *next;
	char *key;
#if REL >= 2
	unsigned appends;
#endif
	struct evbuffer *value;
	struct event *expiry;       /* NULL unless EXPIRE'd */
};

struct client {
	int fd;
	struct event *rev;
#if REL >= 2
	unsigned long requests;
#endif
	struct event wev;
	struct evbuffer *in, *out;
	struct client *next;
};

#if REL >= 2
struct limits {
	size_t max_line;
	size_t max_value;
};
static const struct limits default_limits = { 4096, 1024 };
#endif

static struct {
	int backlog;
	unsigned expire_max_ms;
#if REL >= 2
	const struct limits *limits;
#endif
} config;

static struct server {
	struct event_base *base;
	int lfd;
	struct event *accept_ev, *hup_ev, *update_ev;
	struct client *clients[CLIENT_BUCKETS];
	struct item *items[ITEM_BUCKETS];
	unsigned long nclients, nitems, nexpiring, hups, expired, reloads_pending;
} srv;

static unsigned strhash(const char *s)
{
	unsigned h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h % ITEM_BUCKETS;
}

static struct item **item_find(const char *key)
{
	struct item **pp;

	for (pp = &srv.items[strhash(key)]; *pp; pp = &(*pp)->next)
		if (!strcmp((*pp)->key, key))
			break;
	return pp;
}

static void item_unlink(struct item **pp)
{
	struct item *it = *pp;

	*pp = it->next;
	if (it->expiry) {
		event_free(it->expiry);
		srv.nexpiring--;
	}
	evbuffer_free(it->value);
	free(it->key);
	free(it);
	srv.nitems--;
}

static void on_expire(evutil_socket_t fd, short what, void *arg)
{
	struct item *it = arg;

	(void)fd, (void)what;
	srv.expired++;
	item_unlink(item_find(it->key));
}

/* ---- commands ---- */

static void cmd_set(struct client *c, char **av)
{
	struct item **pp = item_find(av[1]), *it;

	if (*pp)
		item_unlink(pp);
	it = calloc(1, sizeof *it);
	it->key = strdup(av[1]);
	it->value = evbuffer_new();
	evbuffer_add(it->value, av[2], strlen(av[2]));
	it->next = srv.items[strhash(av[1])];
	srv.items[strhash(av[1])] = it;
	srv.nitems++;
	evbuffer_add(c->out, "OK\n", 3);
}

static void cmd_get(struct client *c, char **av)
{
	struct item *it = *item_find(av[1]);

	if (!it) {
		evbuffer_add(c->out, "NONE\n", 5);
		return;
	}
	evbuffer_add(c->out, "VALUE ", 6);
	evbuffer_add_buffer_reference(c->out, it->value);
	evbuffer_add(c->out, "\n", 1);
}

static void cmd_del(struct client *c, char **av)
{
	struct item **pp = item_find(av[1]);

	if (!*pp) {
		evbuffer_add(c->out, "NONE\n", 5);
		return;
	}
	item_unlink(pp);
	evbuffer_add(c->out, "OK\n", 3);
}

#if REL >= 2
static void cmd_append(struct client *c, char **av)
{
	struct item *it = *item_find(av[1]);

	if (!it || evbuffer_get_length(it->value) + strlen(av[2]) > config.limits->max_value) {
		evbuffer_add(c->out, "NONE\n", 5);
		return;
	}
	evbuffer_add(it->value, av[2], strlen(av[2]));
	it->appends++;
	evbuffer_add(c->out, "OK\n", 3);
}
#endif

static void cmd_expire(struct client *c, char **av)
{
	struct item *it = *item_find(av[1]);
	unsigned ms = strtoul(av[2], NULL, 10);
	struct timeval tv;

	if (!it || ms > config.expire_max_ms) {
		evbuffer_add(c->out, "NONE\n", 5);
		return;
	}
	if (!it->expiry) {
		it->expiry = evtimer_new(srv.base, on_expire, it);
		srv.nexpiring++;
	}
	tv.tv_sec = ms / 1000;
	tv.tv_usec = ms % 1000 * 1000;
	evtimer_add(it->expiry, &tv);
	evbuffer_add(c->out, "OK\n", 3);
}

static void cmd_ttl(struct client *c, char **av)
{
	struct item *it = *item_find(av[1]);

	if (!it)
		evbuffer_add(c->out, "NONE\n", 5);
	else
		evbuffer_add_printf(c->out, "TTL %d\n", it->expiry && evtimer_pending(it->expiry, NULL));
}

static void cmd_hups(struct client *c, char **av)
{
	(void)av;
	evbuffer_add_printf(c->out, "HUPS %lu\n", srv.hups);
}

static void cmd_version(struct client *c, char **av)
{
	(void)av;
	evbuffer_add_printf(c->out, "VERSION rawev %d\n", REL);
}

static void cmd_verify(struct client *c, char **av)
{
	unsigned long items = 0, expiring = 0, clients = 0;
	struct item *it;
	struct client *k;
	int i;

	(void)av;
	for (i = 0; i < ITEM_BUCKETS; i++)
		for (it = srv.items[i]; it; it = it->next) {
			if (strhash(it->key) != (unsigned)i || !evbuffer_get_length(it->value) ||
			    (it->expiry && (event_get_callback_arg(it->expiry) != it ||
					    !evtimer_pending(it->expiry, NULL)))) {
				evbuffer_add_printf(c->out, "VERIFY bad item %s\n", it->key);
				return;
			}
			items++;
			expiring += it->expiry != NULL;
		}
	for (i = 0; i < CLIENT_BUCKETS; i++)
		for (k = srv.clients[i]; k; k = k->next) {
			if (k->fd % CLIENT_BUCKETS != i || event_get_callback_arg(k->rev) != k ||
			    event_get_fd(k->rev) != k->fd || event_get_callback_arg(&k->wev) != k ||
			    !event_pending(k->rev, EV_READ, NULL)) {
				evbuffer_add_printf(c->out, "VERIFY bad client %d\n", k->fd);
				return;
			}
			clients++;
		}
	if (items != srv.nitems || expiring != srv.nexpiring || clients != srv.nclients ||
	    event_get_callback_arg(srv.accept_ev) != &srv || config.backlog != 128
#if REL >= 2
	    || config.limits != &default_limits
#endif
	) {
		evbuffer_add_printf(c->out, "VERIFY bad counts %lu/%lu %lu/%lu %lu/%lu\n", items,
				    srv.nitems, expiring, srv.nexpiring, clients, srv.nclients);
		return;
	}
	evbuffer_add_printf(c->out, "VERIFY ok keys=%lu expiring=%lu clients=%lu reloads=%lu\n",
			    items, expiring, clients, srv.reloads_pending);
}

static const struct command {
	const char *name;
	int min_args;
	void (*fn)(struct client *, char **);
} commands[] = {
	{ "SET", 3, cmd_set },
	{ "GET", 2, cmd_get },
	{ "DEL", 2, cmd_del },
#if REL >= 2
	{ "APPEND", 3, cmd_append },
#endif
	{ "EXPIRE", 3, cmd_expire },
	{ "TTL", 2, cmd_ttl },
	{ "HUPS", 1, cmd_hups },
	{ "VERSION", 1, cmd_version },
	{ "VERIFY", 1, cmd_verify },
	{ NULL, 0, NULL },
};

/* ---- clients ---- */

static void client_close(struct client *c)
{
	struct client **pp;

	for (pp = &srv.clients[c->fd % CLIENT_BUCKETS]; *pp != c; pp = &(*pp)->next)
		;
	*pp = c->next;
	srv.nclients--;
	event_free(c->rev);
	event_del(&c->wev);
	evbuffer_free(c->in);
	evbuffer_free(c->out);
	close(c->fd);
	free(c);
}

static void client_flush(struct client *c)
{
	if (!evbuffer_get_length(c->out))
		return;   /* evbuffer_write would say -1 */
	if (evbuffer_write(c->out, c->fd) < 0 && errno != EAGAIN) {
		client_close(c);
		return;
	}
	if (evbuffer_get_length(c->out))
		event_add(&c->wev, NULL);
}

static void on_writable(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what;
	client_flush(arg);
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
	struct client *c = arg;
	char *line, *av[MAXARGS], *p;
	size_t n;
	int ac, i, r;

	(void)what;
	r = evbuffer_read(c->in, fd, 4096);
	if (r == 0 || (r < 0 && errno != EAGAIN)) {
		client_close(c);
		return;
	}
	while ((line = evbuffer_readln(c->in, &n, EVBUFFER_EOL_LF))) {
		p = line;
		for (ac = 0; ac < MAXARGS && (av[ac] = strsep(&p, " ")); ac++)
			;
		for (i = 0; commands[i].name; i++)
			if (!strcmp(commands[i].name, av[0]))
				break;
		if (!commands[i].name || ac < commands[i].min_args)
			evbuffer_add(c->out, "ERROR\n", 6);
		else
			commands[i].fn(c, av);
#if REL >= 2
		c->requests++;
#endif
		free(line);
	}
	client_flush(c);
}

static void on_accept(evutil_socket_t lfd, short what, void *arg)
{
	struct server *s = arg;
	struct client *c;
	int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);

	(void)what;
	if (fd < 0)
		return;
	c = calloc(1, sizeof *c);
	c->fd = fd;
	c->in = evbuffer_new();
	c->out = evbuffer_new();
	c->rev = event_new(s->base, fd, EV_READ | EV_PERSIST, on_readable, c);
	event_assign(&c->wev, s->base, fd, EV_WRITE, on_writable, c);
	event_add(c->rev, NULL);
	c->next = s->clients[fd % CLIENT_BUCKETS];
	s->clients[fd % CLIENT_BUCKETS] = c;
	s->nclients++;
}

/* the reload a SIGHUP asked for, 2 s later; the event frees itself */
static void on_reload(evutil_socket_t fd, short what, void *arg)
{
	struct event *self = arg;

	(void)fd, (void)what;
	srv.hups++;
	srv.reloads_pending--;
	event_free(self);
}

static void on_hup(evutil_socket_t sig, short what, void *arg)
{
	struct event *reload = evtimer_new(srv.base, on_reload, event_self_cbarg());
	struct timeval later = { 2, 0 };

	(void)sig, (void)what, (void)arg;
	srv.reloads_pending++;
	evtimer_add(reload, &later);
}

static void on_update(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what, (void)arg;
	stf_update_point();
}

static void start(const char *port_file)
{
	srv.base = event_base_new();
	srv.lfd = listen_loopback("rawev", SOCK_STREAM | SOCK_NONBLOCK, port_file);
	srv.accept_ev = event_new(srv.base, srv.lfd, EV_READ | EV_PERSIST, on_accept, &srv);
	event_add(srv.accept_ev, NULL);
	srv.hup_ev = evsignal_new(srv.base, SIGHUP, on_hup, NULL);
	event_add(srv.hup_ev, NULL);
	srv.update_ev = event_new(srv.base, stf_update_fd(), EV_READ | EV_PERSIST, on_update, NULL);
	event_add(srv.update_ev, NULL);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: rawev PORT-FILE\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	config.backlog = 128;
	config.expire_max_ms = 3600 * 1000;
#if REL >= 2
	config.limits = &default_limits;
#endif
	if (!stf_is_updating())
		start(argv[1]);
	on_update(-1, 0, NULL);
	event_base_dispatch(srv.base);
	fprintf(stderr, "rawev: the event loop ended\n");
	return 1;
}
