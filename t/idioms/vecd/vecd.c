/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * vecd - a key-value server on epoll built on two generic containers,
 * written the way a C programmer with a small utility library writes one
 * (wave 22's hunt, issue 8):
 *   - `struct vec`, a vector of `void *` (swap-remove leaves the last slot
 *     holding the pointer it moved), and `struct hmap`, an open-addressing
 *     map of `void *` keys to `void *` values with hash and compare
 *     callbacks and `(void *)-1` tombstones;
 *   - the values are three structs of one size in release 1 (32 bytes),
 *     told apart only by their first member, a tag; every object is also
 *     in one vector of all objects, and remembers the connection that
 *     made it (`void *owner`, left pointing at a closed connection: freed,
 *     its block maybe handed out again to the next connection);
 *   - connections in a table indexed by descriptor, not cleared when they
 *     close (a bitmap says which are open), registered with epoll by
 *     pointer; the listener's and the update descriptor's registrations
 *     carry the descriptor itself in `data.ptr` (`(void *)(intptr_t)fd`).
 * Release 2 grows the counter in its middle (so it no longer has the
 * others' size) and the connection, and counts reads of notes.
 *
 * Protocol: SET k v -> OK (a note), GET k -> VALUE v | NONE, DEL k -> OK |
 * NONE, INCR k -> COUNT n (a counter), ARM k ms -> OK (a deadline),
 * DUE k -> DUE ms | NONE, TYPE k -> TYPE note|counter|deadline|none,
 * OBJECTS -> OBJECTS n, VERSION, VERIFY.
 * Usage: vecd PORT-FILE
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stf.h>

#ifdef BUILD_O0
#pragma GCC optimize("O0") /* the build run by vecd-O0.sh */
#endif

#include "../port-listener.h"

#ifndef REL
#define REL 1
#endif

#define MAX_FDS 1024
#define INBUF 512

/* ---- a vector of void * ---- */

struct vec {
	void **items;
	size_t len, cap;
};

static void vec_push(struct vec *v, void *p)
{
	if (v->len == v->cap) {
		v->cap = v->cap ? v->cap * 2 : 8;
		v->items = realloc(v->items, v->cap * sizeof *v->items);
		if (!v->items)
			abort();
	}
	v->items[v->len++] = p;
}

/* Removes p, moving the last item into its place (the last slot keeps
 * its pointer). */
static void vec_remove(struct vec *v, const void *p)
{
	for (size_t i = 0; i < v->len; i++)
		if (v->items[i] == p) {
			v->items[i] = v->items[--v->len];
			return;
		}
}

/* ---- a map of void * to void * ---- */

#define TOMBSTONE ((void *)-1)

struct hmap {
	void **keys, **vals;
	size_t cap, used, live;
	size_t (*hash)(const void *key);
	int (*same)(const void *a, const void *b);
};

static size_t hmap_slot(const struct hmap *m, const void *key, int for_insert)
{
	size_t i = m->hash(key) & (m->cap - 1), grave = SIZE_MAX;

	for (;; i = (i + 1) & (m->cap - 1)) {
		if (!m->keys[i])
			return for_insert && grave != SIZE_MAX ? grave : i;
		if (m->keys[i] == TOMBSTONE) {
			if (grave == SIZE_MAX)
				grave = i;
		} else if (m->same(m->keys[i], key)) {
			return i;
		}
	}
}

static void *hmap_get(const struct hmap *m, const void *key)
{
	size_t i;

	if (!m->cap)
		return NULL;
	i = hmap_slot(m, key, 0);
	return m->keys[i] ? m->vals[i] : NULL;
}

static void hmap_put(struct hmap *m, void *key, void *val);

static void hmap_grow(struct hmap *m)
{
	void **keys = m->keys, **vals = m->vals;
	size_t cap = m->cap;

	m->cap = cap ? cap * 2 : 64;
	m->keys = calloc(m->cap, sizeof *m->keys);
	m->vals = calloc(m->cap, sizeof *m->vals);
	m->used = m->live = 0;
	for (size_t i = 0; i < cap; i++)
		if (keys[i] && keys[i] != TOMBSTONE)
			hmap_put(m, keys[i], vals[i]);
	free(keys);
	free(vals);
}

/* key must not be in m yet. */
static void hmap_put(struct hmap *m, void *key, void *val)
{
	size_t i;

	if ((m->used + 1) * 4 > m->cap * 3)
		hmap_grow(m);
	i = hmap_slot(m, key, 1);
	if (!m->keys[i])
		m->used++;
	m->keys[i] = key;
	m->vals[i] = val;
	m->live++;
}

/* The key given back, its slot a tombstone keeping the value. */
static void *hmap_del(struct hmap *m, const void *key)
{
	size_t i = hmap_slot(m, key, 0);
	void *k = m->keys[i];

	if (!k)
		return NULL;
	m->keys[i] = TOMBSTONE;
	m->live--;
	return k;
}

static size_t str_hash(const void *key)
{
	size_t h = 14695981039346656037u;

	for (const unsigned char *s = key; *s; s++)
		h = (h ^ *s) * 1099511628211u;
	return h;
}

static int str_same(const void *a, const void *b)
{
	return !strcmp(a, b);
}

/* ---- the objects: three structs told apart by their tag ---- */

enum otag { T_NOTE = 0x6e6f7465, T_COUNTER = 0x636e7472, T_DEADLINE = 0x64656164 };

struct note {
	enum otag tag;
	unsigned len;
	char *text;
#if REL >= 2
	unsigned long reads; /* new in 2, at the end */
#endif
	void *owner;
	void *spare;
};

struct counter {
	enum otag tag;
	int step;
	long value;
#if REL >= 2
	long high; /* new in 2, in the middle */
#endif
	void *owner;
	void *spare;
};

struct deadline {
	enum otag tag;
	unsigned fired;
	long at_ms;
	void *owner;
	void *spare;
};

struct conn {
	int fd;
#if REL >= 2
	unsigned long requests; /* new in 2 */
#endif
	size_t inlen;
	char in[INBUF];
};

static struct hmap store = { .hash = str_hash, .same = str_same };
static struct vec objects;
static struct conn *conn_by_fd[MAX_FDS]; /* closed ones keep their pointer */
static unsigned char fd_open[MAX_FDS / 8];
static int epfd;

#include "../line-conn.h"

static const char *type_of(const void *obj)
{
	switch (obj ? *(const enum otag *)obj : 0) {
	case T_NOTE: return "note";
	case T_COUNTER: return "counter";
	case T_DEADLINE: return "deadline";
	default: return "none";
	}
}

static void object_free(void *obj)
{
	if (*(enum otag *)obj == T_NOTE)
		free(((struct note *)obj)->text);
	vec_remove(&objects, obj);
	free(obj);
}

/* key's value replaced by obj (made by c). */
static void store_put(const char *key, void *obj)
{
	void *old = hmap_get(&store, key);
	char *k;

	if (old) {
		k = hmap_del(&store, key);
		object_free(old);
	} else {
		k = strdup(key);
	}
	hmap_put(&store, k, obj);
	vec_push(&objects, obj);
}

static void verify(struct conn *c)
{
	size_t found = 0, conns = 0;

	for (size_t i = 0; i < store.cap; i++) {
		void *o = store.vals[i];
		if (!store.keys[i] || store.keys[i] == TOMBSTONE)
			continue;
		found++;
		if (!strcmp(type_of(o), "none") ||
		    (*(enum otag *)o == T_NOTE && strlen(((struct note *)o)->text) != ((struct note *)o)->len)) {
			reply(c, "VERIFY bad value of %s\n", (char *)store.keys[i]);
			return;
		}
#if REL >= 2
		/* high is 0 in counters release 1 made until their next INCR */
		if (*(enum otag *)o == T_COUNTER && ((struct counter *)o)->high &&
		    ((struct counter *)o)->high < ((struct counter *)o)->value) {
			reply(c, "VERIFY bad counter %s\n", (char *)store.keys[i]);
			return;
		}
#endif
		if (hmap_get(&store, store.keys[i]) != o) {
			reply(c, "VERIFY %s not found by its hash\n", (char *)store.keys[i]);
			return;
		}
	}
	for (size_t i = 0; i < objects.len; i++)
		if (!strcmp(type_of(objects.items[i]), "none")) {
			reply(c, "VERIFY bad object %zu in the vector\n", i);
			return;
		}
	for (int fd = 0; fd < MAX_FDS; fd++)
		if (fd_open[fd / 8] & (1 << fd % 8)) {
			if (conn_by_fd[fd]->fd != fd) {
				reply(c, "VERIFY bad connection %d\n", fd);
				return;
			}
			conns++;
		}
	if (found != store.live || found != objects.len) {
		reply(c, "VERIFY bad counts: %zu found, %zu live, %zu objects\n", found, store.live, objects.len);
		return;
	}
	reply(c, "VERIFY ok keys=%zu conns=%zu slots=%zu\n", found, conns, store.cap);
}

static void command(struct conn *c, char *line)
{
	char *av[4] = { 0 }, *p = line;
	void *o;
	int ac = 0;

#if REL >= 2
	c->requests++;
#endif
	while (ac < 4 && (av[ac] = strsep(&p, " ")))
		if (*av[ac])
			ac++;
	o = ac >= 2 ? hmap_get(&store, av[1]) : NULL;
	if (ac == 1 && !strcmp(av[0], "VERSION")) {
		reply(c, "VERSION vecd %d\n", REL);
	} else if (ac == 1 && !strcmp(av[0], "VERIFY")) {
		verify(c);
	} else if (ac == 1 && !strcmp(av[0], "OBJECTS")) {
		reply(c, "OBJECTS %zu\n", objects.len);
	} else if (ac == 3 && !strcmp(av[0], "SET")) {
		struct note *n = calloc(1, sizeof *n);
		n->tag = T_NOTE;
		n->len = (unsigned)strlen(av[2]);
		n->text = strdup(av[2]);
		n->owner = c;
		store_put(av[1], n);
		reply(c, "OK\n");
	} else if (ac == 2 && !strcmp(av[0], "GET")) {
		if (o && *(enum otag *)o == T_NOTE) {
#if REL >= 2
			((struct note *)o)->reads++;
#endif
			reply(c, "VALUE %s\n", ((struct note *)o)->text);
		} else if (o && *(enum otag *)o == T_COUNTER) {
			reply(c, "VALUE %ld\n", ((struct counter *)o)->value);
		} else {
			reply(c, "NONE\n");
		}
	} else if (ac == 2 && !strcmp(av[0], "DEL")) {
		if (o) {
			free(hmap_del(&store, av[1]));
			object_free(o);
		}
		reply(c, o ? "OK\n" : "NONE\n");
	} else if (ac == 2 && !strcmp(av[0], "INCR")) {
		struct counter *n = o;
		if (!o || *(enum otag *)o != T_COUNTER) {
			n = calloc(1, sizeof *n);
			n->tag = T_COUNTER;
			n->step = 1;
			n->owner = c;
			store_put(av[1], n);
		}
		n->value += n->step;
#if REL >= 2
		if (n->value > n->high)
			n->high = n->value;
#endif
		reply(c, "COUNT %ld\n", n->value);
	} else if (ac == 3 && !strcmp(av[0], "ARM")) {
		struct deadline *d = calloc(1, sizeof *d);
		d->tag = T_DEADLINE;
		d->at_ms = atol(av[2]);
		d->owner = c;
		store_put(av[1], d);
		reply(c, "OK\n");
	} else if (ac == 2 && !strcmp(av[0], "DUE")) {
		if (o && *(enum otag *)o == T_DEADLINE)
			reply(c, "DUE %ld\n", ((struct deadline *)o)->at_ms);
		else
			reply(c, "NONE\n");
	} else if (ac == 2 && !strcmp(av[0], "TYPE")) {
		reply(c, "TYPE %s\n", type_of(o));
	} else {
		reply(c, "ERROR unknown\n");
	}
}

static void conn_close(struct conn *c)
{
	epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
	fd_open[c->fd / 8] &= (unsigned char)~(1 << c->fd % 8);
	close(c->fd);
	free(c); /* conn_by_fd and the objects' owners keep the pointer */
}

int main(int argc, char **argv)
{
	static int listener;
	struct epoll_event ev, evs[32];

	if (argc != 2) {
		fprintf(stderr, "usage: vecd PORT-FILE\n");
		return 2;
	}
	if (!stf_is_updating()) {
		epfd = epoll_create1(EPOLL_CLOEXEC);
		listener = listen_loopback("vecd", SOCK_STREAM | SOCK_NONBLOCK, argv[1]);
		ev.events = EPOLLIN;
		ev.data.ptr = (void *)(intptr_t)listener;
		epoll_ctl(epfd, EPOLL_CTL_ADD, listener, &ev);
		ev.data.ptr = (void *)(intptr_t)stf_update_fd();
		epoll_ctl(epfd, EPOLL_CTL_ADD, stf_update_fd(), &ev);
	}
	for (;;) {
		int n;

		stf_update_point();
		n = epoll_wait(epfd, evs, 32, 1000);
		if (n < 0 && errno != EINTR) {
			perror("epoll_wait");
			return 1;
		}
		for (int i = 0; i < n; i++) {
			void *who = evs[i].data.ptr;
			if (who == (void *)(intptr_t)stf_update_fd()) {
				continue; /* the loop's top takes it */
			} else if (who == (void *)(intptr_t)listener) {
				int fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK);
				struct conn *c;
				if (fd < 0)
					continue;
				if (fd >= MAX_FDS) {
					close(fd);
					continue;
				}
				c = malloc(sizeof *c);
				c->fd = fd;
				c->inlen = 0;
#if REL >= 2
				c->requests = 0;
#endif
				conn_by_fd[fd] = c;
				fd_open[fd / 8] |= (unsigned char)(1 << fd % 8);
				ev.events = EPOLLIN;
				ev.data.ptr = c;
				epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
			} else {
				struct conn *c = who;
				if (read_lines(c, c->in, &c->inlen, INBUF, command) < 0)
					conn_close(c);
			}
		}
	}
}
