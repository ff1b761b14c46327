/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * bevref - a key-value server on libevent's bufferevents, written the way
 * a C programmer who has never heard of ttst writes one (wave 23's hunt).
 * An evconnlistener accepts; each connection is a struct of the program
 * holding its bufferevent (deferred callbacks, read and write timeouts)
 * and an idle timer (a `struct event` embedded in it, evtimer_assign'd
 * with the connection as its argument, added with a common timeout the
 * server keeps a pointer to), on a doubly linked list.  The base has two
 * priorities, the signal event the urgent one.  The server struct embeds
 * a persistent tick event and points to a SIGUSR2 event whose argument is
 * the server.  Keys and values, connections and deferred replies come
 * from a size-prefixing wrapper (xmalloc keeps the size in a word before
 * the block).  GET replies with evbuffer_add_reference to the
 * value itself, the entry kept alive by a count the reference's cleanup
 * drops; a SET that replaces a value still being sent leaves the old entry
 * to that cleanup.  BIG n replies with n references to a static page, so
 * a client that does not read keeps program memory in libevent's chains.
 * DEL replies from an event_base_once callback 1 ms later, the connection
 * not read meanwhile.  Commands come from a table {name, min args,
 * handler}.  The loop calls stf_update_point() at its top.
 *
 * Protocol: SET k v -> OK, GET k -> VALUE v | NONE, DEL k -> OK | NONE,
 * VERSION, VERIFY, BIG n -> n pages of 65536 bytes, SIGS -> SIGS n
 * (SIGUSR2s seen).
 * REL 2: struct conn gains a count before its bufferevent, struct server
 * a pointer to statistics that stf_on_commit (after an update) or the
 * startup (a fresh start) sets; STATS -> STATS commits=n joins the table
 * in its middle.
 * Usage: bevref PORT-FILE
 */
#define _GNU_SOURCE
#ifdef IDIOM_O0
#pragma GCC optimize("O0")   /* the -O0 build of its test (-O2 by default) */
#endif
#include <netinet/in.h>
#include <signal.h>
#include <stddef.h>
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

#ifndef REL
#define REL 1
#endif

#define NBUCKETS 1024
#define PAGE 65536
#define IDLE_SECONDS 600

/* ---- memory: a size-prefixing wrapper ---- */

static size_t bytes_in_use;

STF_ALLOCATOR void *xmalloc(size_t n);

void *xmalloc(size_t n)
{
	size_t *p = malloc(sizeof *p + n);

	if (!p)
		abort();
	*p = n;
	bytes_in_use += n;
	return p + 1;
}

static void xfree(void *q)
{
	size_t *p = q;

	if (!q)
		return;
	bytes_in_use -= p[-1];
	free(p - 1);
}

static char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(xmalloc(n), s, n);
}

/* ---- the store ---- */

struct entry {
	struct entry *next;
	char *key;
	char *val;          /* vlen bytes, no terminator */
	size_t vlen;
	int refs;           /* references in output buffers */
	int unlinked;       /* replaced or deleted while referenced */
};

static struct entry *table[NBUCKETS];
static unsigned long nkeys, nunlinked;

static unsigned hash(const char *s)
{
	unsigned h = 5381;

	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h % NBUCKETS;
}

static struct entry **find(const char *key)
{
	struct entry **pp;

	for (pp = &table[hash(key)]; *pp; pp = &(*pp)->next)
		if (!strcmp((*pp)->key, key))
			break;
	return pp;
}

static void entry_free(struct entry *e)
{
	xfree(e->key);
	xfree(e->val);
	xfree(e);
}

/* unlink *pp: freed now, or by the last reference's cleanup */
static void entry_drop(struct entry **pp)
{
	struct entry *e = *pp;

	*pp = e->next;
	nkeys--;
	if (e->refs) {
		e->unlinked = 1;
		nunlinked++;
	} else
		entry_free(e);
}

static void entry_unref(const void *data, size_t len, void *arg)
{
	struct entry *e = arg;

	(void)data, (void)len;
	if (--e->refs == 0 && e->unlinked) {
		nunlinked--;
		entry_free(e);
	}
}

/* ---- server and connections ---- */

#if REL >= 2
struct stats {
	unsigned long commits;   /* updates committed into release 2 */
	unsigned long gets;
};
#endif

struct server {
	struct event_base *base;
	struct evconnlistener *listener;
	struct event tick;            /* persistent, every 50 ms */
	const struct timeval *idle_timeout;   /* a common timeout of base */
	struct event *usr2;
	struct conn *conns;
	unsigned long nconns, ticks, sigs, deferred;
#if REL >= 2
	struct stats *stats;
#endif
};

struct conn {
#if REL >= 2
	unsigned long served;
#endif
	struct bufferevent *bev;
	struct event idle;
	struct server *srv;
	struct conn *prev, *next;
	int waiting;                  /* a deferred reply is pending */
};

static struct server srv;
static char page[PAGE];

static void conn_close(struct conn *c)
{
	if (c->prev)
		c->prev->next = c->next;
	else
		c->srv->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	c->srv->nconns--;
	event_del(&c->idle);
	bufferevent_free(c->bev);
	xfree(c);
}

/* ---- commands ---- */

struct later {
	struct conn *conn;
	int found;
};

static void process(struct conn *c);

static void reply_later(evutil_socket_t fd, short what, void *arg)
{
	struct later *l = arg;
	struct conn *c = l->conn;

	(void)fd, (void)what;
	evbuffer_add_printf(bufferevent_get_output(c->bev), l->found ? "OK\n" : "NONE\n");
	c->srv->deferred++;
	c->waiting = 0;
	xfree(l);
	bufferevent_enable(c->bev, EV_READ);
	process(c);
}

static void cmd_set(struct conn *c, struct evbuffer *out, char **av)
{
	struct entry **pp = find(av[1]), *e;

	if (*pp)
		entry_drop(pp);
	e = xmalloc(sizeof *e);
	e->key = xstrdup(av[1]);
	e->vlen = strlen(av[2]);
	e->val = memcpy(xmalloc(e->vlen), av[2], e->vlen);
	e->refs = 0;
	e->unlinked = 0;
	e->next = table[hash(av[1])];
	table[hash(av[1])] = e;
	nkeys++;
	(void)c;
	evbuffer_add(out, "OK\n", 3);
}

static void cmd_get(struct conn *c, struct evbuffer *out, char **av)
{
	struct entry *e = *find(av[1]);

	(void)c;
	if (!e) {
		evbuffer_add(out, "NONE\n", 5);
		return;
	}
	evbuffer_add(out, "VALUE ", 6);
	e->refs++;
	evbuffer_add_reference(out, e->val, e->vlen, entry_unref, e);
	evbuffer_add(out, "\n", 1);
#if REL >= 2
	srv.stats->gets++;
#endif
}

static void cmd_del(struct conn *c, struct evbuffer *out, char **av)
{
	struct entry **pp = find(av[1]);
	struct later *l = xmalloc(sizeof *l);
	struct timeval ms = { 0, 1000 };

	(void)out;
	l->conn = c;
	l->found = *pp != NULL;
	if (*pp)
		entry_drop(pp);
	c->waiting = 1;
	bufferevent_disable(c->bev, EV_READ);
	event_base_once(c->srv->base, -1, EV_TIMEOUT, reply_later, l, &ms);
}

static void cmd_version(struct conn *c, struct evbuffer *out, char **av)
{
	(void)c, (void)av;
	evbuffer_add_printf(out, "VERSION bevref %d\n", REL);
}

static void cmd_big(struct conn *c, struct evbuffer *out, char **av)
{
	int i, n = atoi(av[1]);

	(void)c;
	for (i = 0; i < n; i++)
		evbuffer_add_reference(out, page, PAGE, NULL, NULL);
}

static void cmd_sigs(struct conn *c, struct evbuffer *out, char **av)
{
	(void)av;
	evbuffer_add_printf(out, "SIGS %lu\n", c->srv->sigs);
}

#if REL >= 2
static void cmd_stats(struct conn *c, struct evbuffer *out, char **av)
{
	(void)av;
	evbuffer_add_printf(out, "STATS commits=%lu\n", c->srv->stats->commits);
}
#endif

static void cmd_verify(struct conn *c, struct evbuffer *out, char **av)
{
	unsigned long n = 0, conns = 0;
	size_t bytes = 0;
	struct entry *e;
	struct conn *k;
	int i;

	(void)av;
	for (i = 0; i < NBUCKETS; i++)
		for (e = table[i]; e; e = e->next) {
			if (hash(e->key) != (unsigned)i || e->unlinked || e->refs < 0 ||
			    ((size_t *)e->val)[-1] != e->vlen) {
				evbuffer_add_printf(out, "VERIFY bad entry %s\n", e->key);
				return;
			}
			bytes += sizeof *e + strlen(e->key) + 1 + e->vlen;
			n++;
		}
	for (k = c->srv->conns; k; k = k->next) {
		if ((k->next && k->next->prev != k) || k->srv != &srv ||
		    event_get_callback_arg(&k->idle) != k || !evtimer_pending(&k->idle, NULL) ||
		    bufferevent_getfd(k->bev) < 0) {
			evbuffer_add_printf(out, "VERIFY bad connection\n");
			return;
		}
		conns++;
	}
	for (i = 0; i < PAGE; i++)
		if (page[i] != (i == PAGE - 1 ? '\n' : 'a' + i * 7 % 26)) {
			evbuffer_add_printf(out, "VERIFY bad page at %d\n", i);
			return;
		}
	if (n != nkeys || conns != c->srv->nconns ||
	    event_get_callback_arg(&srv.tick) != &srv || !evtimer_pending(&srv.tick, NULL) ||
	    event_get_callback_arg(srv.usr2) != &srv
#if REL >= 2
	    || !srv.stats
#endif
	) {
		evbuffer_add_printf(out, "VERIFY bad counts %lu/%lu %lu/%lu\n", n, nkeys, conns,
				    c->srv->nconns);
		return;
	}
	/* entries unlinked but still referenced count in bytes_in_use only */
	if (bytes_in_use < bytes) {
		evbuffer_add_printf(out, "VERIFY bad bytes %zu < %zu\n", bytes_in_use, bytes);
		return;
	}
	evbuffer_add_printf(out, "VERIFY ok keys=%lu conns=%lu unlinked=%lu deferred=%lu\n", n,
			    conns, nunlinked, c->srv->deferred);
}

struct command {
	const char *name;
	int min_args;
	void (*fn)(struct conn *, struct evbuffer *, char **);
};

static const struct command commands[] = {
	{ "SET", 3, cmd_set },
	{ "GET", 2, cmd_get },
	{ "DEL", 2, cmd_del },
#if REL >= 2
	{ "STATS", 1, cmd_stats },
#endif
	{ "BIG", 2, cmd_big },
	{ "SIGS", 1, cmd_sigs },
	{ "VERSION", 1, cmd_version },
	{ "VERIFY", 1, cmd_verify },
	{ NULL, 0, NULL },
};

/* ---- events ---- */

static void process(struct conn *c)
{
	struct evbuffer *in = bufferevent_get_input(c->bev);
	struct evbuffer *out = bufferevent_get_output(c->bev);
	char *line, *av[3], *p;
	size_t n;
	int ac, i;

	while (!c->waiting && (line = evbuffer_readln(in, &n, EVBUFFER_EOL_LF))) {
		p = line;
		for (ac = 0; ac < 3 && (av[ac] = strsep(&p, " ")); ac++)
			;
		for (i = 0; commands[i].name; i++)
			if (!strcmp(commands[i].name, av[0]))
				break;
		if (!commands[i].name || ac < commands[i].min_args)
			evbuffer_add(out, "ERROR\n", 6);
		else
			commands[i].fn(c, out, av);
#if REL >= 2
		c->served++;
#endif
		free(line);
	}
	evtimer_add(&c->idle, c->srv->idle_timeout);
}

static void on_read(struct bufferevent *bev, void *arg)
{
	(void)bev;
	process(arg);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	struct conn *c = arg;

	(void)bev;
	if ((what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) && !c->waiting)
		conn_close(c);
}

static void on_idle(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;

	(void)fd, (void)what;
	if (!c->waiting)
		conn_close(c);
}

static void on_accept(struct evconnlistener *l, evutil_socket_t fd, struct sockaddr *sa,
		      int len, void *arg)
{
	struct server *s = arg;
	struct conn *c = memset(xmalloc(sizeof *c), 0, sizeof(struct conn));
	struct timeval io = { IDLE_SECONDS * 2, 0 };

	(void)l, (void)sa, (void)len;
	c->srv = s;
	c->bev = bufferevent_socket_new(s->base, fd, BEV_OPT_CLOSE_ON_FREE | BEV_OPT_DEFER_CALLBACKS);
	bufferevent_setcb(c->bev, on_read, NULL, on_event, c);
	bufferevent_set_timeouts(c->bev, &io, &io);
	bufferevent_enable(c->bev, EV_READ | EV_WRITE);
	evtimer_assign(&c->idle, s->base, on_idle, c);
	evtimer_add(&c->idle, s->idle_timeout);
	c->next = s->conns;
	if (s->conns)
		s->conns->prev = c;
	s->conns = c;
	s->nconns++;
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct server *s = arg;

	(void)fd, (void)what;
	s->ticks++;
}

static void on_usr2(evutil_socket_t sig, short what, void *arg)
{
	struct server *s = arg;

	(void)sig, (void)what;
	s->sigs++;
}

#if REL >= 2
static void on_commit(void *arg)
{
	struct server *s = arg;

	if (!s->stats)
		s->stats = calloc(1, sizeof *s->stats);
	s->stats->commits++;
}
#endif

static void start(const char *port_file)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct timeval tick = { 0, 50000 }, idle = { IDLE_SECONDS, 0 };
	socklen_t len = sizeof sa;
	FILE *f;
	int i;

	for (i = 0; i < PAGE; i++)
		page[i] = i == PAGE - 1 ? '\n' : 'a' + i * 7 % 26;
	srv.base = event_base_new();
	event_base_priority_init(srv.base, 2);
	srv.idle_timeout = event_base_init_common_timeout(srv.base, &idle);
	srv.listener = evconnlistener_new_bind(srv.base, on_accept, &srv,
					       LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE, 64,
					       (struct sockaddr *)&sa, sizeof sa);
	if (!srv.listener ||
	    getsockname(evconnlistener_get_fd(srv.listener), (struct sockaddr *)&sa, &len)) {
		perror("bevref: listen");
		exit(1);
	}
	event_assign(&srv.tick, srv.base, -1, EV_PERSIST, on_tick, &srv);
	event_add(&srv.tick, &tick);
	srv.usr2 = evsignal_new(srv.base, SIGUSR2, on_usr2, &srv);
	event_priority_set(srv.usr2, 0);
	event_add(srv.usr2, NULL);
#if REL >= 2
	srv.stats = calloc(1, sizeof *srv.stats);
#endif
	f = fopen(port_file, "w");
	if (!f || fprintf(f, "%d\n", ntohs(sa.sin_port)) < 0 || fclose(f)) {
		perror(port_file);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: bevref PORT-FILE\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
#if REL >= 2
	stf_on_commit(on_commit, &srv);
#endif
	if (!stf_is_updating())
		start(argv[1]);
	for (;;) {
		stf_update_point();
		if (event_base_loop(srv.base, EVLOOP_ONCE) < 0)
			break;
	}
	fprintf(stderr, "bevref: the event loop failed\n");
	return 1;
}
