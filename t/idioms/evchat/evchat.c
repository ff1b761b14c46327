/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * evchat - a chat server with a key-value store on libevent, written the
 * way a C programmer who has never heard of ttst writes one (wave 14's
 * hunt).  Clients are bufferevents; the per-client structs live in a
 * chained hash table keyed by descriptor whose nodes hold `void *`
 * values, with a bucket array that doubles when it fills.  Commands are
 * dispatched through a table of {name, handler, min args}; release 2
 * inserts a command in the middle of it.  Rooms keep a history: an array
 * of `void *` message pointers with capacity beyond its length left
 * uninitialised, whose slots keep the pointer of a message already
 * dropped (the ring overwrites them later).  The store keeps values as
 * raw bytes (no terminator) behind `void *` slots, their lengths beside.
 * A client's join count sits in a `void *` member.  The update point is
 * in the callback of an event on stf_update_fd(), first called from main.
 *
 * Protocol: SET k v -> OK, GET k -> VALUE v | NONE, DEL k -> OK | NONE,
 * VERSION, VERIFY, JOIN room -> OK n (members), SAY room text -> OK n
 * (delivered), LAST room -> LAST text | NONE, HIST room -> HIST n.
 * REL 2: struct client and struct room grow (a member before the
 * bufferevent, one at the end), the server config gains a member set by
 * the startup before its update point, WHO -> WHO name (a new command in
 * the table's middle).
 * Usage: evchat PORT-FILE
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
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

#define MAXARGS 4
#define HISTMAX 16

/* ---- a chained hash table of void * keyed by int ---- */

struct hnode {
	int key;
	void *val;
	struct hnode *next;
};

struct htab {
	struct hnode **buckets;
	unsigned nbuckets;
	unsigned count;
};

static void ht_init(struct htab *h, unsigned n)
{
	h->buckets = calloc(n, sizeof *h->buckets);
	h->nbuckets = n;
	h->count = 0;
}

static void ht_grow(struct htab *h)
{
	unsigned n = h->nbuckets * 2, i;
	struct hnode **nb = calloc(n, sizeof *nb), *e, *next;

	for (i = 0; i < h->nbuckets; i++)
		for (e = h->buckets[i]; e; e = next) {
			next = e->next;
			e->next = nb[(unsigned)e->key % n];
			nb[(unsigned)e->key % n] = e;
		}
	free(h->buckets);
	h->buckets = nb;
	h->nbuckets = n;
}

static void *ht_get(struct htab *h, int key)
{
	struct hnode *e;

	for (e = h->buckets[(unsigned)key % h->nbuckets]; e; e = e->next)
		if (e->key == key)
			return e->val;
	return NULL;
}

static void ht_put(struct htab *h, int key, void *val)
{
	struct hnode *e = malloc(sizeof *e);

	if (h->count >= h->nbuckets)
		ht_grow(h);
	e->key = key;
	e->val = val;
	e->next = h->buckets[(unsigned)key % h->nbuckets];
	h->buckets[(unsigned)key % h->nbuckets] = e;
	h->count++;
}

static void *ht_del(struct htab *h, int key)
{
	struct hnode **pp, *e;
	void *v;

	for (pp = &h->buckets[(unsigned)key % h->nbuckets]; (e = *pp); pp = &e->next)
		if (e->key == key) {
			*pp = e->next;
			v = e->val;
			free(e);
			h->count--;
			return v;
		}
	return NULL;
}

/* ---- the store: raw bytes behind void * ---- */

struct kv {
	char *key;
	void *data;  /* the value's bytes, no terminator */
	size_t len;
	struct kv *next;
};

#define KVBUCKETS 1024
static struct kv *store[KVBUCKETS];
static unsigned long nkeys;

static unsigned strhash(const char *s)
{
	unsigned h = 5381;
	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h;
}

static struct kv **kv_find(const char *key)
{
	struct kv **pp = &store[strhash(key) % KVBUCKETS];

	while (*pp && strcmp((*pp)->key, key))
		pp = &(*pp)->next;
	return pp;
}

/* ---- clients and rooms ---- */

struct msg {
	int from;
	size_t len;
	char text[];
};

struct room {
	char name[32];
#if REL >= 2
	int topic_set;
#endif
	void **hist;         /* struct msg *; hist[0..nhist) live, the rest not */
	int nhist, caphist;
	unsigned long said;
	struct client **members;
	int nmembers;
#if REL >= 2
	unsigned long created;
#endif
};

struct client {
	int fd;
#if REL >= 2
	char nick[16];
	int flags;
#endif
	struct bufferevent *bev;
	void *joins;         /* a count, not a pointer */
	struct room *last_room;
#if REL >= 2
	long lines;
#endif
};

struct config {
	int backlog;
	int maxline;
#if REL >= 2
	int maxnick;
#endif
};

static struct {
	struct event_base *base;
	struct evconnlistener *listener;
	struct event *update_ev;
	struct htab clients;
	struct room **rooms;
	int nrooms;
	unsigned long updates;
} srv;

static struct config cfg = { .backlog = 128 };

static struct room *room_get(const char *name, int create)
{
	int i;
	struct room *r;

	for (i = 0; i < srv.nrooms; i++)
		if (!strcmp(srv.rooms[i]->name, name))
			return srv.rooms[i];
	if (!create)
		return NULL;
	r = calloc(1, sizeof *r);
	snprintf(r->name, sizeof r->name, "%s", name);
	r->caphist = 4;
	r->hist = malloc(r->caphist * sizeof *r->hist); /* not zeroed */
#if REL >= 2
	r->created = srv.updates + 1;
#endif
	srv.rooms = realloc(srv.rooms, (srv.nrooms + 1) * sizeof *srv.rooms);
	srv.rooms[srv.nrooms++] = r;
	return r;
}

static void room_leave(struct room *r, struct client *c)
{
	int i;

	for (i = 0; i < r->nmembers; i++)
		if (r->members[i] == c) {
			r->members[i] = r->members[--r->nmembers];
			return;
		}
}

static void room_post(struct room *r, struct msg *m)
{
	if (r->nhist == HISTMAX) {
		free(r->hist[0]); /* the slot keeps its pointer until overwritten */
		memmove(r->hist, r->hist + 1, (HISTMAX - 1) * sizeof *r->hist);
		r->nhist--;
	}
	if (r->nhist == r->caphist) {
		r->caphist *= 2;
		r->hist = realloc(r->hist, r->caphist * sizeof *r->hist);
	}
	r->hist[r->nhist++] = m;
	r->said++;
}

/* ---- commands ---- */

typedef void (*handler)(struct client *, struct evbuffer *, char **, int);

static void cmd_set(struct client *c, struct evbuffer *out, char **av, int ac)
{
	struct kv **pp = kv_find(av[1]), *e = *pp;
	size_t n = strlen(av[2]);

	(void)c, (void)ac;
	if (!e) {
		e = calloc(1, sizeof *e);
		e->key = strdup(av[1]);
		*pp = e;
		nkeys++;
	} else {
		free(e->data);
	}
	e->data = malloc(n);
	memcpy(e->data, av[2], n);
	e->len = n;
	evbuffer_add(out, "OK\n", 3);
}

static void cmd_get(struct client *c, struct evbuffer *out, char **av, int ac)
{
	struct kv *e = *kv_find(av[1]);

	(void)c, (void)ac;
	if (!e) {
		evbuffer_add(out, "NONE\n", 5);
		return;
	}
	evbuffer_add(out, "VALUE ", 6);
	evbuffer_add(out, e->data, e->len);
	evbuffer_add(out, "\n", 1);
}

static void cmd_del(struct client *c, struct evbuffer *out, char **av, int ac)
{
	struct kv **pp = kv_find(av[1]), *e = *pp;

	(void)c, (void)ac;
	if (!e) {
		evbuffer_add(out, "NONE\n", 5);
		return;
	}
	*pp = e->next;
	free(e->key);
	free(e->data);
	free(e);
	nkeys--;
	evbuffer_add(out, "OK\n", 3);
}

static void cmd_version(struct client *c, struct evbuffer *out, char **av, int ac)
{
	(void)c, (void)av, (void)ac;
	evbuffer_add_printf(out, "VERSION evchat %d\n", REL);
}

static void cmd_join(struct client *c, struct evbuffer *out, char **av, int ac)
{
	struct room *r = room_get(av[1], 1);
	int i;

	(void)ac;
	for (i = 0; i < r->nmembers && r->members[i] != c; i++)
		;
	if (i == r->nmembers) {
		r->members = realloc(r->members, (r->nmembers + 1) * sizeof *r->members);
		r->members[r->nmembers++] = c;
		c->joins = (void *)((intptr_t)c->joins + 1);
	}
	c->last_room = r;
	evbuffer_add_printf(out, "OK %d\n", r->nmembers);
}

static void cmd_say(struct client *c, struct evbuffer *out, char **av, int ac)
{
	struct room *r = room_get(av[1], 0);
	size_t n = strlen(av[2]);
	struct msg *m;
	int i, sent = 0;

	(void)ac;
	if (!r) {
		evbuffer_add(out, "NONE\n", 5);
		return;
	}
	m = malloc(sizeof *m + n + 1);
	m->from = c->fd;
	m->len = n;
	memcpy(m->text, av[2], n + 1);
	room_post(r, m);
	for (i = 0; i < r->nmembers; i++)
		if (r->members[i] != c) {
			evbuffer_add_printf(bufferevent_get_output(r->members[i]->bev),
					    "MSG %s %s\n", r->name, m->text);
			sent++;
		}
	evbuffer_add_printf(out, "OK %d\n", sent);
}

static void cmd_last(struct client *c, struct evbuffer *out, char **av, int ac)
{
	struct room *r = room_get(av[1], 0);
	struct msg *m;

	(void)c, (void)ac;
	if (!r || !r->nhist) {
		evbuffer_add(out, "NONE\n", 5);
		return;
	}
	m = r->hist[r->nhist - 1];
	evbuffer_add_printf(out, "LAST %.*s\n", (int)m->len, m->text);
}

static void cmd_hist(struct client *c, struct evbuffer *out, char **av, int ac)
{
	struct room *r = room_get(av[1], 0);

	(void)c, (void)ac;
	evbuffer_add_printf(out, "HIST %lu\n", r ? r->said : 0);
}

#if REL >= 2
static void cmd_who(struct client *c, struct evbuffer *out, char **av, int ac)
{
	(void)av, (void)ac;
	if (!c->nick[0])
		snprintf(c->nick, (size_t)cfg.maxnick, "user%d", c->fd);
	evbuffer_add_printf(out, "WHO %s\n", c->nick);
}
#endif

static void cmd_verify(struct client *c, struct evbuffer *out, char **av, int ac);

static struct command {
	const char *name;
	handler fn;
	int min_args;
} commands[] = {
	{ "SET", cmd_set, 3 },
	{ "GET", cmd_get, 2 },
	{ "DEL", cmd_del, 2 },
	{ "JOIN", cmd_join, 2 },
#if REL >= 2
	{ "WHO", cmd_who, 1 },
#endif
	{ "SAY", cmd_say, 3 },
	{ "LAST", cmd_last, 2 },
	{ "HIST", cmd_hist, 2 },
	{ "VERSION", cmd_version, 1 },
	{ "VERIFY", cmd_verify, 1 },
	{ NULL, NULL, 0 },
};

static void cmd_verify(struct client *c, struct evbuffer *out, char **av, int ac)
{
	unsigned long n = 0;
	unsigned i, nclients = 0;
	int j, k;
	struct kv *e;
	struct hnode *h;

	(void)c, (void)av, (void)ac;
	for (i = 0; i < KVBUCKETS; i++)
		for (e = store[i]; e; e = e->next) {
			if (strhash(e->key) % KVBUCKETS != i || !e->len ||
			    memchr(e->data, ' ', e->len)) {
				evbuffer_add_printf(out, "VERIFY bad key %s\n", e->key);
				return;
			}
			n++;
		}
	for (i = 0; i < srv.clients.nbuckets; i++)
		for (h = srv.clients.buckets[i]; h; h = h->next) {
			struct client *cl = h->val;
			if ((unsigned)h->key % srv.clients.nbuckets != i || cl->fd != h->key ||
			    bufferevent_getfd(cl->bev) != cl->fd || (intptr_t)cl->joins < 0) {
				evbuffer_add_printf(out, "VERIFY bad client %d\n", h->key);
				return;
			}
			nclients++;
		}
	for (j = 0; j < srv.nrooms; j++) {
		struct room *r = srv.rooms[j];
		for (k = 0; k < r->nhist; k++) {
			struct msg *m = r->hist[k];
			if (m->len != strlen(m->text)) {
				evbuffer_add_printf(out, "VERIFY bad message in %s\n", r->name);
				return;
			}
		}
		for (k = 0; k < r->nmembers; k++)
			if (ht_get(&srv.clients, r->members[k]->fd) != r->members[k]) {
				evbuffer_add_printf(out, "VERIFY bad member in %s\n", r->name);
				return;
			}
	}
	for (j = 0; commands[j].name; j++)
		if (!commands[j].fn || commands[j].min_args < 1) {
			evbuffer_add_printf(out, "VERIFY bad command %s\n", commands[j].name);
			return;
		}
	if (n != nkeys || nclients != srv.clients.count || cfg.maxline != 1024
#if REL >= 2
	    || cfg.maxnick != 16
#endif
	) {
		evbuffer_add_printf(out, "VERIFY bad counts %lu/%lu %u/%u\n", n, nkeys,
				    nclients, srv.clients.count);
		return;
	}
	evbuffer_add_printf(out, "VERIFY ok keys=%lu clients=%u rooms=%d\n", n, nclients,
			    srv.nrooms);
}

/* ---- connections ---- */

static void drop(struct client *c)
{
	int i;

	ht_del(&srv.clients, c->fd);
	for (i = 0; i < srv.nrooms; i++)
		room_leave(srv.rooms[i], c);
	bufferevent_free(c->bev);
	free(c);
}

static void on_read(struct bufferevent *bev, void *arg)
{
	struct client *c = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct evbuffer *out = bufferevent_get_output(bev);
	char *line, *av[MAXARGS], *p;
	size_t n;
	int ac, i;

	while ((line = evbuffer_readln(in, &n, EVBUFFER_EOL_CRLF))) {
		if (n > (size_t)cfg.maxline) {
			evbuffer_add(out, "ERROR too long\n", 15);
			free(line);
			continue;
		}
#if REL >= 2
		c->lines++;
#endif
		ac = 0;
		p = line;
		while (ac < MAXARGS && (av[ac] = strsep(&p, " ")))
			if (*av[ac])
				ac++;
		for (i = 0; commands[i].name; i++)
			if (ac && !strcmp(commands[i].name, av[0]))
				break;
		if (!commands[i].name)
			evbuffer_add(out, "ERROR unknown\n", 14);
		else if (ac < commands[i].min_args)
			evbuffer_add(out, "ERROR args\n", 11);
		else
			commands[i].fn(c, out, av, ac);
		free(line);
	}
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	(void)bev;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
		drop(arg);
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
		      int len, void *arg)
{
	struct client *c = calloc(1, sizeof *c);

	(void)l, (void)sa, (void)len, (void)arg;
	c->fd = fd;
	c->bev = bufferevent_socket_new(srv.base, fd, BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(c->bev, on_read, NULL, on_event, c);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	ht_put(&srv.clients, fd, c);
}

static void on_update(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what, (void)arg;
	stf_update_point();
}

static void start(const char *port_file)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof sa;
	FILE *f;

	srv.base = event_base_new();
	ht_init(&srv.clients, 8);
	srv.listener = evconnlistener_new_bind(srv.base, on_accept, NULL,
					       LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE,
					       cfg.backlog, (struct sockaddr *)&sa, sizeof sa);
	if (!srv.listener ||
	    getsockname(evconnlistener_get_fd(srv.listener), (struct sockaddr *)&sa, &len)) {
		perror("evchat: listen");
		exit(1);
	}
	srv.update_ev = event_new(srv.base, stf_update_fd(), EV_READ | EV_PERSIST, on_update, NULL);
	event_add(srv.update_ev, NULL);
	f = fopen(port_file, "w");
	if (!f || fprintf(f, "%d\n", ntohs(sa.sin_port)) < 0 || fclose(f)) {
		perror(port_file);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: evchat PORT-FILE\n");
		return 2;
	}
	cfg.maxline = 1024;
#if REL >= 2
	cfg.maxnick = 16;
#endif
	if (!stf_is_updating())
		start(argv[1]);
	on_update(-1, 0, NULL);
	srv.updates++;
	event_base_dispatch(srv.base);
	fprintf(stderr, "evchat: the event loop ended\n");
	return 1;
}
