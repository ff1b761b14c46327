/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * mapd - a key-value server built on one generic open-addressing map
 * (`struct slot { uint64_t hash; char *key; void *val; }`) used for two
 * things, an idiom test server of ttst (t/idioms/mapd.sh): the store's
 * items (carved by a pool, STF_ALLOCATOR, out of zeroed 16 KiB chunks,
 * never given back: a deleted one waits on a free list, a value is
 * rewritten in its bytes' room) and the sessions of the connections
 * (malloc'd), each map a static variable of its own.  A deleted key or a
 * closed session leaves a tombstone whose `val` still points to the dead
 * (or reused) item or the freed session.  Values are raw bytes behind a `void *` with their
 * length before them in a flexible array.  Release 2 grows the item (in
 * its middle) and the session (at its end).  The update point is at the
 * top of the epoll loop, stf_update_fd() in the set.
 *
 * Protocol: SET k v -> OK, GET k -> VALUE v | NONE, DEL k -> OK | NONE,
 * HITS k -> HITS n (GETs of the key) | NONE, SESSIONS -> SESSIONS n
 * (requests of the open ones), VERSION, VERIFY.
 * Usage: mapd PORT-FILE
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
#include "../port-listener.h"

#ifndef REL
#define REL 1
#endif

#define INBUF 1024
#define CHUNK (16 * 1024)

/* The pool the items come from: chunks carved in order. */
struct chunk {
	struct chunk *next;
	size_t used;
	_Alignas(16) unsigned char mem[];
};

struct pool {
	struct chunk *chunks;
	size_t carved;
};

STF_ALLOCATOR void *pool_alloc(struct pool *p, size_t n);

void *pool_alloc(struct pool *p, size_t n)
{
	struct chunk *c = p->chunks;

	n = (n + 15) & ~(size_t)15;
	if (!c || c->used + n > CHUNK - sizeof(*c)) {
		/* zeroed: what malloc left in a chunk (a freed slot array's
		 * pointers to items) would lie in the rounding between the
		 * items it hands out, and pin them (ttst(7), LIMITATIONS) */
		c = calloc(1, CHUNK);
		if (!c)
			abort();
		c->next = p->chunks;
		c->used = 0;
		p->chunks = c;
	}
	c->used += n;
	p->carved += n;
	return c->mem + c->used - n;
}

struct slot {
	uint64_t hash;
	char *key; /* NULL: empty; tomb: deleted, val left as it was */
	void *val;
};

struct map {
	size_t cap, used, live;
	struct slot *slots;
};

/* raw bytes, their length and the room for them */
struct bytes {
	uint32_t len, room;
	char data[];
};

struct item {
	void *val; /* a struct bytes */
	struct item *next_free; /* deleted: the next one to reuse */
#if REL >= 2
	long born; /* new in 2: the SETs counted since release 2 */
#endif
	unsigned long hits;
};

struct session {
	int fd;
	unsigned long requests;
#if REL >= 2
	unsigned long since_update; /* new in 2 */
#endif
};

struct conn {
	int fd;
	size_t inlen;
	char in[INBUF];
};
#include "../line-conn.h"

static char tomb[] = "";
static struct map items, sessions;
static struct pool store;
static struct item *free_items; /* deleted, their bytes' room kept */
static int epfd = -1, listen_fd = -1;

static uint64_t hash_of(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

static struct slot *map_find(struct map *m, const char *key, int add)
{
	uint64_t h = hash_of(key);
	struct slot *free_slot = NULL;

	if (add && (m->used + 1) * 2 > m->cap) {
		struct map old = *m;
		m->cap = old.cap ? old.cap * 2 : 64;
		m->slots = calloc(m->cap, sizeof(*m->slots));
		m->used = m->live = 0;
		for (size_t i = 0; i < old.cap; i++)
			if (old.slots[i].key && old.slots[i].key != tomb) {
				*map_find(m, old.slots[i].key, 1) = old.slots[i];
				m->used++;
				m->live++;
			}
		free(old.slots);
	}
	for (size_t i = m->cap ? h % m->cap : 0, n = 0; n < m->cap; i = (i + 1) % m->cap, n++) {
		struct slot *s = &m->slots[i];
		if (!s->key)
			return add ? (free_slot ? free_slot : s) : NULL;
		if (s->key == tomb) {
			if (!free_slot)
				free_slot = s;
		} else if (s->hash == h && !strcmp(s->key, key)) {
			return s;
		}
	}
	return add ? free_slot : NULL;
}

static void *map_get(struct map *m, const char *key)
{
	struct slot *s = map_find(m, key, 0);
	return s ? s->val : NULL;
}

static void map_put(struct map *m, char *key, void *val)
{
	struct slot *s = map_find(m, key, 1);

	if (!s->key || s->key == tomb) {
		if (!s->key)
			m->used++;
		m->live++;
		s->hash = hash_of(key);
		s->key = key;
	}
	s->val = val;
}

/* The slot becomes a tombstone: its key is given back (and its val in
 * *val), its val left in it. */
static char *map_del(struct map *m, const char *key, void **val)
{
	struct slot *s = map_find(m, key, 0);
	char *k;

	if (!s)
		return NULL;
	k = s->key;
	*val = s->val;
	s->key = tomb;
	m->live--;
	return k;
}

/* The text in old's room when it fits (the pool gives nothing back),
 * else in a new block with room for values of its kind. */
static void *bytes_set(struct bytes *old, const char *text)
{
	size_t len = strlen(text);
	struct bytes *b = old;

	if (!b || b->room < len) {
		size_t room = len < 24 ? 24 : len;
		b = pool_alloc(&store, sizeof *b + room);
		b->room = (uint32_t)room;
	}
	b->len = (uint32_t)len;
	memcpy(b->data, text, len);
	return b;
}

static char session_key[32];

static const char *session_of(int fd)
{
	snprintf(session_key, sizeof session_key, "fd%d", fd);
	return session_key;
}

static void verify(struct conn *c)
{
	unsigned long live = 0, open = 0;

	for (size_t i = 0; i < items.cap; i++) {
		struct slot *s = &items.slots[i];
		if (!s->key || s->key == tomb)
			continue;
		struct item *it = s->val;
		struct bytes *b = it->val;
		if (s->hash != hash_of(s->key) || map_get(&items, s->key) != it ||
		    b->len > b->room
#if REL >= 2
		    || it->born < 0
#endif
		) {
			reply(c, "VERIFY bad item %s\n", s->key);
			return;
		}
		live++;
	}
	for (size_t i = 0; i < sessions.cap; i++) {
		struct slot *s = &sessions.slots[i];
		if (!s->key || s->key == tomb)
			continue;
		struct session *ss = s->val;
		if (strcmp(s->key, session_of(ss->fd)) || !ss->requests) {
			reply(c, "VERIFY bad session %s\n", s->key);
			return;
		}
		open++;
	}
	if (live != items.live || open != sessions.live) {
		reply(c, "VERIFY bad count %lu/%zu %lu/%zu\n", live, items.live, open, sessions.live);
		return;
	}
	reply(c, "VERIFY ok items=%lu sessions=%lu carved=%zu\n", live, open, store.carved);
}

static void command(struct conn *c, char *line)
{
	char *av[4] = { 0 }, *p = line;
	struct session *ss = map_get(&sessions, session_of(c->fd));
	struct item *it;
	int ac = 0;

	ss->requests++;
#if REL >= 2
	ss->since_update++;
#endif
	while (ac < 4 && (av[ac] = strsep(&p, " ")))
		if (*av[ac])
			ac++;
	if (ac == 1 && !strcmp(av[0], "VERSION")) {
		reply(c, "VERSION mapd %d\n", REL);
	} else if (ac == 1 && !strcmp(av[0], "VERIFY")) {
		verify(c);
	} else if (ac == 1 && !strcmp(av[0], "SESSIONS")) {
		unsigned long n = 0;
		for (size_t i = 0; i < sessions.cap; i++)
			if (sessions.slots[i].key && sessions.slots[i].key != tomb)
				n += ((struct session *)sessions.slots[i].val)->requests;
		reply(c, "SESSIONS %lu\n", n);
	} else if (ac == 3 && !strcmp(av[0], "SET")) {
		it = map_get(&items, av[1]);
		if (!it && (it = free_items)) {
			free_items = it->next_free;
			it->hits = 0;
#if REL >= 2
			it->born = 0;
#endif
			map_put(&items, strdup(av[1]), it);
		} else if (!it) {
			it = pool_alloc(&store, sizeof *it);
			it->val = NULL;
			it->hits = 0;
#if REL >= 2
			it->born = 0;
#endif
			map_put(&items, strdup(av[1]), it);
		}
		it->val = bytes_set(it->val, av[2]);
#if REL >= 2
		it->born++;
#endif
		reply(c, "OK\n");
	} else if (ac == 2 && (!strcmp(av[0], "GET") || !strcmp(av[0], "HITS"))) {
		it = map_get(&items, av[1]);
		struct bytes *b = it ? it->val : NULL;
		if (!it)
			reply(c, "NONE\n");
		else if (av[0][0] == 'H')
			reply(c, "HITS %lu\n", it->hits);
		else {
			it->hits++;
			reply(c, "VALUE %.*s\n", (int)b->len, b->data);
		}
	} else if (ac == 2 && !strcmp(av[0], "DEL")) {
		struct item *dead = NULL;
		char *k = map_del(&items, av[1], (void **)&dead); /* its tombstone keeps it */
		if (dead) {
			dead->next_free = free_items;
			free_items = dead;
		}
		reply(c, k ? "OK\n" : "NONE\n");
		free(k);
	} else {
		reply(c, "ERROR unknown\n");
	}
}

static void conn_close(struct conn *c)
{
	void *ss = NULL;

	free(map_del(&sessions, session_of(c->fd), &ss));
	free(ss); /* its tombstone still points to it */
	epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c);
}

static void conn_open(void)
{
	int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK);
	struct epoll_event ev = { .events = EPOLLIN };
	struct session *ss;
	struct conn *c;

	if (fd < 0)
		return;
	c = calloc(1, sizeof *c);
	c->fd = fd;
	ss = calloc(1, sizeof *ss);
	ss->fd = fd;
	map_put(&sessions, strdup(session_of(fd)), ss);
	ev.data.ptr = c;
	epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

int main(int argc, char **argv)
{
	struct epoll_event ev = { .events = EPOLLIN }, evs[32];

	if (argc != 2) {
		fprintf(stderr, "usage: mapd PORT-FILE\n");
		return 2;
	}
	if (!stf_is_updating()) {
		listen_fd = listen_loopback("mapd", SOCK_STREAM | SOCK_NONBLOCK, argv[1]);
		epfd = epoll_create1(0);
		ev.data.ptr = &listen_fd;
		epoll_ctl(epfd, EPOLL_CTL_ADD, listen_fd, &ev);
		ev.data.ptr = &epfd;
		epoll_ctl(epfd, EPOLL_CTL_ADD, stf_update_fd(), &ev);
	}
	for (;;) {
		stf_update_point();
		int n = epoll_wait(epfd, evs, 32, 1000);
		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;
			if (evs[i].data.ptr == &listen_fd)
				conn_open();
			else if (evs[i].data.ptr != &epfd && /* stf_update_fd(): the loop's top takes it */
				 read_lines(c, c->in, &c->inlen, INBUF, command) < 0)
				conn_close(c);
		}
	}
}
