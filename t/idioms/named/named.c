/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * named - a key-value server whose records are kept as dnsmasq keeps its
 * cache (struct crec), an idiom test server of ttst (t/idioms/named.sh):
 * a record's last member is a union of a short name array and a pointer
 * to a longer name, and a record is allocated with the size its name
 * needs (`sizeof(struct rec) - SMALLNAME + len + 1`: shorter than the
 * struct for a short key, longer for a long one; a key past BIGNAME
 * bytes is strdup'd and the record has only the union's pointer).  Its
 * endpoints are prefix-sharing variants as dnsmasq's struct server and
 * serv_local: one list of `struct conn *` holds the connections and the
 * listener, allocated as the shorter `struct listener` ("the first four
 * members must match struct conn").  Release 2 adds a member to the
 * record before its name, one to struct conn after the shared members
 * and one to struct listener.  The update point is at
 * the top of the epoll loop, stf_update_fd() in the set.
 *
 * Protocol: SET k v -> OK, GET k -> VALUE v | NONE, DEL k -> OK | NONE,
 * HITS k -> HITS n (GETs of the key) | NONE, ENDPOINTS -> ENDPOINTS n
 * (requests of the open connections), VERSION, VERIFY.
 * Usage: named PORT-FILE
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stf.h>
#include "../port-listener.h"

#ifndef REL
#define REL 1
#endif

#define INBUF 1024
#define SMALLNAME 40
#define BIGNAME 160
#define NBUCKETS 257
#define F_NAMEP 1u

struct rec {
	struct rec *hash_next, *prev, *next; /* bucket; every record, newest first */
	char *val;
	unsigned long gets;
	unsigned flags;
#if REL >= 2
	unsigned sets; /* new in 2: SETs since release 2 */
#endif
	union {
		char sname[SMALLNAME];
		char *namep;
	} name;
};

#define SIZEOF_BARE_REC (sizeof(struct rec) - SMALLNAME)
#define SIZEOF_POINTER_REC (sizeof(struct rec) + sizeof(char *) - SMALLNAME)

#define EP_LISTEN 1
#define EP_CONN 2

struct conn {
	unsigned short kind, flags;
	int fd;
	struct conn *next;
	unsigned long requests;
#if REL >= 2
	unsigned long since_update; /* new in 2 */
#endif
	size_t inlen;
	char in[INBUF];
};

/* The first four members must match struct conn. */
struct listener {
	unsigned short kind, flags;
	int fd;
	struct conn *next;
	unsigned long accepted;
#if REL >= 2
	unsigned long refused; /* new in 2 */
#endif
};

#include "../line-conn.h"

static struct rec *hash_table[NBUCKETS], *all;
static unsigned long nrecs;
static struct conn *endpoints;
static int epfd = -1, listen_fd = -1;

/* dnsmasq's whine_malloc: zeroed, never NULL */
static __attribute__((noinline)) void *zalloc(size_t n)
{
	void *p = calloc(1, n);
	if (!p)
		abort();
	return p;
}

static unsigned bucket_of(const char *s)
{
	unsigned h = 5381;
	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h % NBUCKETS;
}

static const char *rec_name(const struct rec *r)
{
	return r->flags & F_NAMEP ? r->name.namep : r->name.sname;
}

static struct rec *rec_find(const char *key)
{
	for (struct rec *r = hash_table[bucket_of(key)]; r; r = r->hash_next)
		if (!strcmp(rec_name(r), key))
			return r;
	return NULL;
}

static struct rec *rec_new(const char *key)
{
	size_t len = strlen(key);
	struct rec *r;
	if (len > BIGNAME) {
		r = zalloc(SIZEOF_POINTER_REC);
		r->flags = F_NAMEP;
		r->name.namep = strdup(key);
	} else {
		r = zalloc(SIZEOF_BARE_REC + len + 1);
		memcpy(r->name.sname, key, len + 1);
	}
	unsigned b = bucket_of(key);
	r->hash_next = hash_table[b];
	hash_table[b] = r;
	r->next = all;
	if (all)
		all->prev = r;
	all = r;
	nrecs++;
	return r;
}

static void rec_free(struct rec *r)
{
	struct rec **up = &hash_table[bucket_of(rec_name(r))];
	while (*up != r)
		up = &(*up)->hash_next;
	*up = r->hash_next;
	if (r->prev)
		r->prev->next = r->next;
	else
		all = r->next;
	if (r->next)
		r->next->prev = r->prev;
	if (r->flags & F_NAMEP)
		free(r->name.namep);
	free(r->val);
	free(r);
	nrecs--;
}

static void verify(struct conn *c)
{
	unsigned long n = 0, conns = 0;
	const struct rec *prev = NULL;
	for (const struct rec *r = all; r; prev = r, r = r->next, n++)
		if (r->prev != prev || rec_find(rec_name(r)) != r || !r->val ||
		    (r->flags & ~F_NAMEP)
#if REL >= 2
		    || r->sets > 1000000
#endif
		) {
			reply(c, "VERIFY bad record %s\n", rec_name(r));
			return;
		}
	for (const struct conn *e = endpoints; e; e = e->next) {
		if (e->kind == EP_LISTEN) {
			const struct listener *l = (const struct listener *)e;
			if (l->fd != listen_fd || !l->accepted || e->next) {
				reply(c, "VERIFY bad listener\n");
				return;
			}
		} else if (e->kind != EP_CONN || e->fd < 0 || e->inlen > INBUF) {
			reply(c, "VERIFY bad endpoint %d\n", e->fd);
			return;
		} else {
			conns++;
		}
	}
	if (n != nrecs) {
		reply(c, "VERIFY bad count %lu/%lu\n", n, nrecs);
		return;
	}
	reply(c, "VERIFY ok records=%lu connections=%lu\n", n, conns);
}

static void command(struct conn *c, char *line)
{
	char *av[4] = { 0 }, *p = line;
	struct rec *r;
	int ac = 0;

	c->requests++;
#if REL >= 2
	c->since_update++;
#endif
	while (ac < 4 && (av[ac] = strsep(&p, " ")))
		if (*av[ac])
			ac++;
	if (ac == 1 && !strcmp(av[0], "VERSION")) {
		reply(c, "VERSION named %d\n", REL);
	} else if (ac == 1 && !strcmp(av[0], "VERIFY")) {
		verify(c);
	} else if (ac == 1 && !strcmp(av[0], "ENDPOINTS")) {
		unsigned long n = 0;
		for (const struct conn *e = endpoints; e; e = e->next)
			if (e->kind == EP_CONN)
				n += e->requests;
		reply(c, "ENDPOINTS %lu\n", n);
	} else if (ac == 3 && !strcmp(av[0], "SET")) {
		if (!(r = rec_find(av[1])))
			r = rec_new(av[1]);
		free(r->val);
		r->val = strdup(av[2]);
#if REL >= 2
		r->sets++;
#endif
		reply(c, "OK\n");
	} else if (ac == 2 && (!strcmp(av[0], "GET") || !strcmp(av[0], "HITS"))) {
		if (!(r = rec_find(av[1])))
			reply(c, "NONE\n");
		else if (av[0][0] == 'H')
			reply(c, "HITS %lu\n", r->gets);
		else {
			r->gets++;
			reply(c, "VALUE %s\n", r->val);
		}
	} else if (ac == 2 && !strcmp(av[0], "DEL")) {
		if ((r = rec_find(av[1])))
			rec_free(r);
		reply(c, r ? "OK\n" : "NONE\n");
	} else {
		reply(c, "ERROR unknown\n");
	}
}

static void conn_close(struct conn *c)
{
	struct conn **up = &endpoints;
	while (*up != c)
		up = &(*up)->next;
	*up = c->next;
	epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c);
}

static void conn_open(struct listener *l)
{
	int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK);
	struct epoll_event ev = { .events = EPOLLIN };
	struct conn *c;

	if (fd < 0)
		return;
	l->accepted++;
	c = zalloc(sizeof *c);
	c->kind = EP_CONN;
	c->fd = fd;
	c->next = endpoints;
	endpoints = c;
	ev.data.ptr = c;
	epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

/* dnsmasq's add_update_server: the variant's size chosen by its kind */
static struct conn *endpoint_new(int kind, int fd)
{
	size_t size = kind == EP_LISTEN ? sizeof(struct listener) : sizeof(struct conn);
	struct conn *e = zalloc(size);
	e->kind = (unsigned short)kind;
	e->fd = fd;
	e->next = endpoints;
	endpoints = e;
	return e;
}

int main(int argc, char **argv)
{
	struct epoll_event ev = { .events = EPOLLIN }, evs[32];

	if (argc != 2) {
		fprintf(stderr, "usage: named PORT-FILE\n");
		return 2;
	}
	if (!stf_is_updating()) {
		listen_fd = listen_loopback("named", SOCK_STREAM | SOCK_NONBLOCK, argv[1]);
		epfd = epoll_create1(0);
		ev.data.ptr = endpoint_new(EP_LISTEN, listen_fd);
		epoll_ctl(epfd, EPOLL_CTL_ADD, listen_fd, &ev);
		ev.data.ptr = &epfd;
		epoll_ctl(epfd, EPOLL_CTL_ADD, stf_update_fd(), &ev);
	}
	for (;;) {
		stf_update_point();
		int n = epoll_wait(epfd, evs, 32, 1000);
		for (int i = 0; i < n; i++) {
			struct conn *e = evs[i].data.ptr;
			if (evs[i].data.ptr == &epfd)
				continue; /* stf_update_fd(): the loop's top takes it */
			if (e->kind == EP_LISTEN)
				conn_open((struct listener *)e);
			else if (read_lines(e, e->in, &e->inlen, INBUF, command) < 0)
				conn_close(e);
		}
	}
}
