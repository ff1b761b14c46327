/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * evbev 2 - a key-value server on libevent's higher layers, an idiom test
 * server of ttst (t/idioms/evbev.sh): an evconnlistener accepts, each
 * client is a bufferevent whose callbacks' argument is the client's
 * struct in the program's heap, requests are read with evbuffer_readln
 * and answered with evbuffer_add_printf, a housekeeping timer made by
 * event_new.  Every libevent object lives in libevent's own memory; the
 * program keeps pointers to them (and libevent to the program's clients).
 * The update point is the callback of an event on stf_update_fd(); a
 * process started as the new version calls it from main, then runs the
 * loop of the base it received.  Protocol (one line each way):
 *
 *   SET key value -> OK            GET key -> VALUE value | NONE
 *   DEL key       -> OK | NONE     VERSION -> VERSION 2
 *   VERIFY        -> VERIFY ok keys=n clients=n | VERIFY bad ...
 *
 * Release 2 (this one) counts each client's bytes answered (struct
 * client.replied, a member in the middle of the struct libevent's
 * callbacks receive).
 *
 * Usage: evbev PORT-FILE (listens on 127.0.0.1, any free port).
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

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>

#include <stf.h>

#define EVBEV_VERSION "2"
#define NBUCKETS 1024

struct item {
	char *key;
	char *value;
	struct item *next;
};

struct client {
	struct bufferevent *bev;
	size_t replied;          /* bytes answered */
	unsigned long requests;
	struct client *prev, *next;
};

static struct item *table[NBUCKETS];
static unsigned long nkeys;
static struct client *clients;       /* a doubly linked list */
static unsigned long nclients;
static struct event_base *base;
static struct evconnlistener *listener;
static struct event *tick_ev, *update_ev;
static unsigned long ticks;

static unsigned hash_key(const char *s)
{
	unsigned h = 5381;

	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h;
}

static struct item **find(const char *key)
{
	struct item **link = &table[hash_key(key) % NBUCKETS];

	while (*link && strcmp((*link)->key, key) != 0)
		link = &(*link)->next;
	return link;
}

static void set(const char *key, const char *value)
{
	struct item **link = find(key), *it = *link;

	if (it) {
		free(it->value);
	} else {
		it = malloc(sizeof *it);
		if (!it)
			abort();
		it->key = strdup(key);
		it->next = NULL;
		*link = it;
		nkeys++;
	}
	it->value = strdup(value);
}

static int del(const char *key)
{
	struct item **link = find(key), *it = *link;

	if (!it)
		return 0;
	*link = it->next;
	free(it->key);
	free(it->value);
	free(it);
	nkeys--;
	return 1;
}

static const char *verify(void)
{
	static char why[200];
	unsigned long keys = 0, n = 0;

	for (int b = 0; b < NBUCKETS; b++)
		for (const struct item *it = table[b]; it; it = it->next) {
			keys++;
			if (hash_key(it->key) % NBUCKETS != (unsigned)b) {
				snprintf(why, sizeof why, "key '%s' not in its bucket", it->key);
				return why;
			}
		}
	for (const struct client *c = clients; c; c = c->next) {
		n++;
		if (c->next && c->next->prev != c)
			return "client list links";
		if (bufferevent_getfd(c->bev) < 0)
			return "a client's bufferevent has no socket";
	}
	if (keys != nkeys || n != nclients)
		return "counters";
	return NULL;
}

static void request(struct client *c, char *line, struct evbuffer *out)
{
	char *arg = strchr(line, ' '), *rest = NULL;

	c->requests++;
	if (arg) {
		*arg++ = '\0';
		rest = strchr(arg, ' ');
		if (rest)
			*rest++ = '\0';
	}
	if (strcmp(line, "SET") == 0 && arg && rest) {
		set(arg, rest);
		evbuffer_add_printf(out, "OK\n");
	} else if (strcmp(line, "GET") == 0 && arg) {
		struct item *it = *find(arg);

		if (it)
			evbuffer_add_printf(out, "VALUE %s\n", it->value);
		else
			evbuffer_add_printf(out, "NONE\n");
	} else if (strcmp(line, "DEL") == 0 && arg) {
		evbuffer_add_printf(out, del(arg) ? "OK\n" : "NONE\n");
	} else if (strcmp(line, "VERSION") == 0) {
		evbuffer_add_printf(out, "VERSION %s\n", EVBEV_VERSION);
	} else if (strcmp(line, "VERIFY") == 0) {
		const char *why = verify();

		if (why)
			evbuffer_add_printf(out, "VERIFY bad %s\n", why);
		else
			evbuffer_add_printf(out, "VERIFY ok keys=%lu clients=%lu\n", nkeys, nclients);
	} else {
		evbuffer_add_printf(out, "ERR bad request\n");
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
	bufferevent_free(c->bev);
	free(c);
	nclients--;
}

static void on_read(struct bufferevent *bev, void *arg)
{
	struct client *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev), *out = bufferevent_get_output(bev);
	char *line;

	size_t before = evbuffer_get_length(out);

	while ((line = evbuffer_readln(in, NULL, EVBUFFER_EOL_LF))) {
		request(c, line, out);
		free(line);
	}
	c->replied += evbuffer_get_length(out) - before;
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
	struct client *c = calloc(1, sizeof *c);
	int one = 1;

	(void)l, (void)sa, (void)salen, (void)arg;
	if (!c)
		abort();
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	c->bev = bufferevent_socket_new(base, fd, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(c->bev, on_read, NULL, on_event, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	c->next = clients;
	if (clients)
		clients->prev = c;
	clients = c;
	nclients++;
}

/* Housekeeping every 10 s. */
static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what, (void)arg;
	ticks++;
}

/* stf_update_fd() is readable: an update is pending. */
static void on_update(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what, (void)arg;
	stf_update_point();
}

static void write_port(const char *port_file)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof sa;
	FILE *f;

	if (getsockname(evconnlistener_get_fd(listener), (struct sockaddr *)&sa, &len) < 0) {
		perror("evbev: getsockname");
		exit(1);
	}
	f = fopen(port_file, "w");
	if (!f || fprintf(f, "%d\n", ntohs(sa.sin_port)) < 0 || fclose(f) != 0) {
		perror(port_file);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	static const struct timeval tick_interval = { 10, 0 };

	if (argc != 2) {
		fprintf(stderr, "usage: evbev PORT-FILE\n");
		return 2;
	}
	if (!stf_is_updating()) {
		struct sockaddr_in sa = { .sin_family = AF_INET,
					  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };

		base = event_base_new();
		listener = evconnlistener_new_bind(base, on_accept, NULL,
						   LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 128,
						   (struct sockaddr *)&sa, sizeof sa);
		if (!base || !listener) {
			fprintf(stderr, "evbev: cannot listen\n");
			return 1;
		}
		write_port(argv[1]);
		tick_ev = event_new(base, -1, EV_PERSIST, on_tick, NULL);
		event_add(tick_ev, &tick_interval);
		update_ev = event_new(base, stf_update_fd(), EV_READ | EV_PERSIST, on_update, NULL);
		if (!update_ev || event_add(update_ev, NULL) < 0) {
			fprintf(stderr, "evbev: cannot watch stf_update_fd()\n");
			return 1;
		}
	} else {
		/* The new version of an update: its state arrives at the
		 * update point. */
		on_update(stf_update_fd(), EV_READ, NULL);
	}
	event_base_dispatch(base);
	fprintf(stderr, "evbev: the event loop ended\n");
	return 1;
}
