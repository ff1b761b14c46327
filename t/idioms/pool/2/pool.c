/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * pool 2 - a key-value server built like nginx: memory from pools, arrays
 * of structs behind `void *elts`, module configurations returned as
 * `void *`; an idiom test server of ttst (t/idioms/pool.sh).
 * Single-threaded, poll(), one request line, one reply line:
 *
 *   SET key value -> OK            GET key -> VALUE value | NONE
 *   DEL key       -> OK | NONE     VERSION -> VERSION 2
 *   VERIFY        -> VERIFY ok zones=n keys=n chunks=n | VERIFY bad ...
 *
 * Keys live in zones named by their first character.  A zone owns a pool
 * (4 KB chunks from malloc, objects carved out of them, large objects
 * malloc'ed and listed); its entries are an array (struct array: elts is a
 * `void *` to nalloc elements of `size` bytes, moved to a larger block of
 * the pool when full); each module (stats, limit) keeps a configuration
 * per zone, made by the module's create_conf, which returns `void *`, kept
 * in the zone's ctx[] array.  Nothing is freed before its pool: a deleted
 * entry is marked (key NULL) and reused.  VERIFY checks that every string
 * an entry points to lies in its zone's pool, every chunk's bounds, every
 * entry found where it is, and the modules' counters.
 *
 * Release 2 (this one) counts the reads of each entry (struct entry.hits)
 * and the reads of missing keys per zone (struct stats_conf.misses, in the
 * middle of the stats module's configuration).
 *
 * Usage: pool PORT-FILE (listens on 127.0.0.1, any free port).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <malloc.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stf.h>
#include "../../port-listener.h"

#define POOL_VERSION "2"
#define MAX_CLIENTS 64
#define INBUF 1024
#define POOL_CHUNK 4096
#define POOL_ALIGN 16
#define POOL_MAX_SMALL 1024   /* larger objects are malloc'ed on their own */

/* ---- Pools. ---- */

struct pool_large {
	struct pool_large *next;
	void *alloc;
};

/* A chunk of a pool; the first chunk is the pool. */
struct pool {
	char *last;                 /* free space: last..end */
	char *end;
	struct pool *next;          /* next chunk */
	struct pool *current;       /* first chunk with room (first chunk only) */
	struct pool_large *large;   /* first chunk only */
	unsigned failed;            /* allocations this chunk could not serve */
};

STF_ALLOCATOR void *pool_alloc(struct pool *p, size_t size);
STF_ALLOCATOR char *pool_strdup(struct pool *p, const char *s);

static void *xmalloc(size_t size)
{
	void *p = malloc(size);

	if (!p) {
		fprintf(stderr, "pool: out of memory\n");
		abort();
	}
	return p;
}

static struct pool *pool_create(void)
{
	struct pool *p = xmalloc(POOL_CHUNK);

	p->last = (char *)p + sizeof *p;
	p->end = (char *)p + POOL_CHUNK;
	p->next = NULL;
	p->current = p;
	p->large = NULL;
	p->failed = 0;
	return p;
}

static char *align_up(char *m)
{
	return (char *)(((uintptr_t)m + POOL_ALIGN - 1) & ~(uintptr_t)(POOL_ALIGN - 1));
}

/* A new chunk at the end of the pool, size bytes of it allocated. */
static void *pool_alloc_block(struct pool *pool, size_t size)
{
	struct pool *chunk = xmalloc(POOL_CHUNK), *p;
	char *m = align_up((char *)chunk + sizeof *chunk);

	chunk->end = (char *)chunk + POOL_CHUNK;
	chunk->next = NULL;
	chunk->failed = 0;
	chunk->last = m + size;
	for (p = pool->current; p->next; p = p->next)
		if (p->failed++ > 4)
			pool->current = p->next;
	p->next = chunk;
	return m;
}

static void *pool_alloc_large(struct pool *pool, size_t size)
{
	struct pool_large *l = pool_alloc(pool, sizeof *l);

	l->alloc = xmalloc(size);
	l->next = pool->large;
	pool->large = l;
	return l->alloc;
}

void *pool_alloc(struct pool *pool, size_t size)
{
	if (size > POOL_MAX_SMALL)
		return pool_alloc_large(pool, size);
	for (struct pool *p = pool->current; p; p = p->next) {
		char *m = align_up(p->last);

		if ((size_t)(p->end - m) >= size) {
			p->last = m + size;
			return m;
		}
	}
	return pool_alloc_block(pool, size);
}

char *pool_strdup(struct pool *pool, const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(pool_alloc(pool, n), s, n);
}

/* ptr points into one of the pool's chunks or large blocks. */
static int pool_owns(const struct pool *pool, const void *ptr)
{
	const char *m = ptr;

	for (const struct pool *p = pool; p; p = p->next)
		if (m >= (const char *)p + sizeof *p && m < p->last)
			return 1;
	for (const struct pool_large *l = pool->large; l; l = l->next)
		if (m == l->alloc)
			return 1;
	return 0;
}

/* ---- Arrays of structs. ---- */

struct array {
	void *elts;
	unsigned nelts;
	size_t size;        /* bytes of an element */
	unsigned nalloc;
	struct pool *pool;
};

static struct array *array_create(struct pool *p, unsigned n, size_t size)
{
	struct array *a = pool_alloc(p, sizeof *a);

	a->elts = pool_alloc(p, n * size);
	a->nelts = 0;
	a->size = size;
	a->nalloc = n;
	a->pool = p;
	return a;
}

/* A new element at the end (uninitialized); the elements may move. */
static void *array_push(struct array *a)
{
	if (a->nelts == a->nalloc) {
		void *bigger = pool_alloc(a->pool, 2 * a->nalloc * a->size);

		memcpy(bigger, a->elts, a->nalloc * a->size);
		a->elts = bigger;   /* the old block stays in the pool */
		a->nalloc *= 2;
	}
	return (char *)a->elts + a->size * a->nelts++;
}

/* ---- Modules: configuration per zone. ---- */

struct stats_conf {
	unsigned long sets, gets, dels;
	unsigned long misses;    /* gets of missing keys */
	unsigned long created;   /* entries made (not reused) */
};

struct limit_conf {
	size_t max_value;        /* longer values are refused */
	unsigned long refused;
};

static void *stats_create_conf(struct pool *p)
{
	struct stats_conf *conf = pool_alloc(p, sizeof *conf);

	memset(conf, 0, sizeof *conf);
	return conf;
}

static void *limit_create_conf(struct pool *p)
{
	struct limit_conf *conf = pool_alloc(p, sizeof *conf);

	conf->max_value = 200;
	conf->refused = 0;
	return conf;
}

struct module {
	const char *name;
	void *(*create_conf)(struct pool *p);
};

enum { STATS_MODULE, LIMIT_MODULE, NMODULES };

static const struct module modules[NMODULES] = {
	[STATS_MODULE] = { "stats", stats_create_conf },
	[LIMIT_MODULE] = { "limit", limit_create_conf },
};

/* ---- Zones. ---- */

struct entry {
	char *key;          /* NULL: deleted, may be reused */
	char *value;
	unsigned hash;
	unsigned long hits;   /* GETs since it was set */
};

struct zone {
	char name;
	struct pool *pool;
	struct array *entries;   /* of struct entry */
	void **ctx;              /* [module]: its configuration */
};

static struct pool *cycle_pool;
static struct array *zones;      /* of struct zone, in cycle_pool */

static unsigned hash_key(const char *s)
{
	unsigned h = 5381;

	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h;
}

static struct zone *zone_for(const char *key, int create)
{
	struct zone *z = zones->elts;

	for (unsigned i = 0; i < zones->nelts; i++)
		if (z[i].name == key[0])
			return &z[i];
	if (!create)
		return NULL;
	z = array_push(zones);
	z->name = key[0];
	z->pool = pool_create();
	z->entries = array_create(z->pool, 8, sizeof(struct entry));
	z->ctx = pool_alloc(z->pool, NMODULES * sizeof *z->ctx);
	for (int m = 0; m < NMODULES; m++)
		z->ctx[m] = modules[m].create_conf(z->pool);
	return z;
}

static struct entry *find(struct zone *z, const char *key)
{
	struct entry *e = z->entries->elts;
	unsigned h = hash_key(key);

	for (unsigned i = 0; i < z->entries->nelts; i++)
		if (e[i].key && e[i].hash == h && strcmp(e[i].key, key) == 0)
			return &e[i];
	return NULL;
}

/* ---- VERIFY. ---- */

static char verify_why[200];

static int bad(const struct zone *z, const char *what)
{
	snprintf(verify_why, sizeof verify_why, "zone '%c': %s", z->name, what);
	return -1;
}

static int verify(unsigned long *keys, unsigned long *chunks)
{
	const struct zone *z = zones->elts;

	*keys = *chunks = 0;
	for (unsigned i = 0; i < zones->nelts; i++, z++) {
		const struct stats_conf *st = z->ctx[STATS_MODULE];
		const struct limit_conf *lim = z->ctx[LIMIT_MODULE];
		struct entry *e = z->entries->elts;
		unsigned long live = 0;

		for (const struct pool *p = z->pool; p; p = p->next, ++*chunks)
			if (p->last > p->end || p->end != (const char *)p + POOL_CHUNK)
				return bad(z, "chunk bounds");
		/* An entry array or a stats configuration of release 1 that
		 * grew in release 2 with no room after it in its chunk: a live
		 * update moved it to a heap block of its own (its bytes in the
		 * chunk stay unused until the pool goes). */
		if (!pool_owns(z->pool, z->entries) ||
		    (!pool_owns(z->pool, z->entries->elts) &&
		     malloc_usable_size(z->entries->elts) < z->entries->nalloc * sizeof *e) ||
		    z->entries->size != sizeof *e || z->entries->nelts > z->entries->nalloc)
			return bad(z, "entry array");
		if ((!pool_owns(z->pool, st) && malloc_usable_size((void *)st) < sizeof *st) ||
		    !pool_owns(z->pool, lim) || lim->max_value != 200)
			return bad(z, "module configurations");
		for (unsigned j = 0; j < z->entries->nelts; j++) {
			if (!e[j].key)
				continue;
			live++;
			if (e[j].key[0] != z->name || e[j].hash != hash_key(e[j].key) ||
			    find((struct zone *)z, e[j].key) != &e[j])
				return bad(z, "entry not found where it is");
			if (!pool_owns(z->pool, e[j].key) || !pool_owns(z->pool, e[j].value) ||
			    strlen(e[j].value) > lim->max_value)
				return bad(z, "entry strings outside the pool");
			if (e[j].hits > st->gets)
				return bad(z, "entry read more often than its zone");
		}
		if (st->created != z->entries->nelts || live > st->sets || st->misses > st->gets)
			return bad(z, "stats counters");
		*keys += live;
	}
	return 0;
}

/* ---- Requests. ---- */

struct client {
	int fd;
	size_t inlen;
	char in[INBUF];
};

static struct client *clients[MAX_CLIENTS];

static void reply(struct client *c, const char *text)
{
	size_t len = strlen(text), done = 0;

	while (done < len) {
		ssize_t n = send(c->fd, text + done, len - done, MSG_NOSIGNAL);

		if (n < 0 && errno != EINTR)
			return;   /* the client is gone; the next read says so */
		done += n > 0 ? n : 0;
	}
}

static void set(struct client *c, const char *key, const char *value)
{
	struct zone *z = zone_for(key, 1);
	struct stats_conf *st = z->ctx[STATS_MODULE];
	struct limit_conf *lim = z->ctx[LIMIT_MODULE];
	struct entry *e = find(z, key), *all = z->entries->elts;

	if (strlen(value) > lim->max_value) {
		lim->refused++;
		reply(c, "ERR value too long\n");
		return;
	}
	st->sets++;
	if (!e) {
		for (unsigned i = 0; i < z->entries->nelts && !e; i++)
			if (!all[i].key)
				e = &all[i];
		if (!e) {
			e = array_push(z->entries);
			st->created++;
		}
		e->key = pool_strdup(z->pool, key);
		e->hash = hash_key(key);
	}
	e->value = pool_strdup(z->pool, value);
	e->hits = 0;
	reply(c, "OK\n");
}

static void handle_request(struct client *c, char *line)
{
	char *arg = strchr(line, ' '), *rest = NULL, out[INBUF + 16];
	struct zone *z;
	struct entry *e;

	if (arg) {
		*arg++ = '\0';
		rest = strchr(arg, ' ');
		if (rest)
			*rest++ = '\0';
	}
	if (strcmp(line, "SET") == 0 && arg && rest) {
		set(c, arg, rest);
	} else if (strcmp(line, "GET") == 0 && arg) {
		z = zone_for(arg, 0);
		if (z)
			((struct stats_conf *)z->ctx[STATS_MODULE])->gets++;
		if (z && (e = find(z, arg))) {
			e->hits++;
			snprintf(out, sizeof out, "VALUE %s\n", e->value);
			reply(c, out);
		} else {
			if (z)
				((struct stats_conf *)z->ctx[STATS_MODULE])->misses++;
			reply(c, "NONE\n");
		}
	} else if (strcmp(line, "DEL") == 0 && arg) {
		z = zone_for(arg, 0);
		if (z && (e = find(z, arg))) {
			((struct stats_conf *)z->ctx[STATS_MODULE])->dels++;
			e->key = NULL;
			reply(c, "OK\n");
		} else {
			reply(c, "NONE\n");
		}
	} else if (strcmp(line, "VERSION") == 0) {
		reply(c, "VERSION " POOL_VERSION "\n");
	} else if (strcmp(line, "VERIFY") == 0) {
		unsigned long keys, chunks;

		if (verify(&keys, &chunks) < 0)
			snprintf(out, sizeof out, "VERIFY bad %s\n", verify_why);
		else
			snprintf(out, sizeof out, "VERIFY ok zones=%u keys=%lu chunks=%lu\n",
				 zones->nelts, keys, chunks);
		reply(c, out);
	} else {
		reply(c, "ERR bad request\n");
	}
}

/* Execute the complete lines received; -1 when the client is gone. */
static int client_read(struct client *c)
{
	ssize_t n = read(c->fd, c->in + c->inlen, sizeof c->in - c->inlen);
	char *nl;

	if (n < 0)
		return errno == EINTR ? 0 : -1;
	if (n == 0)
		return -1;
	c->inlen += n;
	while ((nl = memchr(c->in, '\n', c->inlen))) {
		size_t used = nl + 1 - c->in;

		*nl = '\0';
		handle_request(c, c->in);
		memmove(c->in, nl + 1, c->inlen - used);
		c->inlen -= used;
	}
	return c->inlen == sizeof c->in ? -1 : 0;
}

static void client_close(int slot)
{
	close(clients[slot]->fd);
	free(clients[slot]);
	clients[slot] = NULL;
}

static void accept_client(int lfd)
{
	int fd = accept(lfd, NULL, NULL), one = 1, i;

	if (fd < 0)
		return;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	for (i = 0; i < MAX_CLIENTS && clients[i]; i++)
		;
	if (i == MAX_CLIENTS) {
		close(fd);
		return;
	}
	clients[i] = calloc(1, sizeof *clients[i]);
	if (!clients[i]) {
		close(fd);
		return;
	}
	clients[i]->fd = fd;
}

static int listen_fd = -1;

int main(int argc, char **argv)
{
	struct pollfd pfd[MAX_CLIENTS + 1];

	if (argc != 2) {
		fprintf(stderr, "usage: pool PORT-FILE\n");
		return 2;
	}
	if (!stf_is_updating()) {
		cycle_pool = pool_create();
		zones = array_create(cycle_pool, 4, sizeof(struct zone));
		listen_fd = listen_loopback("pool", SOCK_STREAM, argv[1]);
	}
	for (;;) {
		stf_update_point();
		pfd[0] = (struct pollfd){ .fd = listen_fd, .events = POLLIN };
		for (int i = 0; i < MAX_CLIENTS; i++)
			pfd[i + 1] = (struct pollfd){ .fd = clients[i] ? clients[i]->fd : -1,
						      .events = POLLIN };
		if (poll(pfd, MAX_CLIENTS + 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			perror("pool: poll");
			return 1;
		}
		if (pfd[0].revents & POLLIN)
			accept_client(listen_fd);
		for (int i = 0; i < MAX_CLIENTS; i++)
			if (clients[i] && (pfd[i + 1].revents & (POLLIN | POLLHUP | POLLERR)) &&
			    client_read(clients[i]) < 0)
				client_close(i);
	}
}
