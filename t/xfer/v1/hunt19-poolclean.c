/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A pool in the APR/nginx manner written by hand: pools form a tree
 * (parent, children, siblings), carve objects out of chunks ending in a
 * flexible array of chars, and keep cleanup callbacks {fn, data} carved
 * from themselves, whose data are the pool's own objects.  One chunk
 * holds objects of several types (a connection, its request, a cleanup,
 * a name).  Before the update a child pool is destroyed before its
 * sibling (out of order), and another is reset and refilled with objects
 * of other types at the same offsets.  struct conn grows in version 2:
 * every pointer to a connection (requests, cleanups' data) must follow
 * it, the cleanups' functions must be version 2's and still find their
 * connections, and the refilled pool must hold its new objects.  Version
 * 2 then resets that pool again and fills it with the other type
 * (connections, then timers...) before a chained update. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "xt.h"

#define CHUNK 2048

struct chunk {
	struct chunk *next;
	size_t used;
	char mem[];
};

struct cleanup {
	void (*fn)(void *data);
	void *data;
	struct cleanup *next;
};

struct pool {
	struct pool *parent, *children, *sibling;
	struct chunk *chunks;
	struct cleanup *cleanups;
	const char *name;
};

static void *pool_alloc(struct pool *p, size_t n) STF_ALLOCATOR;

static void *pool_alloc(struct pool *p, size_t n)
{
	n = (n + 15) & ~(size_t)15;
	struct chunk *c = p->chunks;
	if (!c || c->used + n > CHUNK) {
		c = malloc(sizeof(*c) + CHUNK);
		c->used = 0;
		c->next = p->chunks;
		p->chunks = c;
	}
	void *r = c->mem + c->used;
	c->used += n;
	return r;
}

static struct pool *pool_create(struct pool *parent, const char *name)
{
	struct pool *p = calloc(1, sizeof(*p));
	p->name = name;
	p->parent = parent;
	if (parent) {
		p->sibling = parent->children;
		parent->children = p;
	}
	return p;
}

static void pool_cleanup_add(struct pool *p, void (*fn)(void *), void *data)
{
	struct cleanup *c = pool_alloc(p, sizeof(*c));
	c->fn = fn;
	c->data = data;
	c->next = p->cleanups;
	p->cleanups = c;
}

static void pool_run_cleanups(struct pool *p)
{
	for (struct cleanup *c = p->cleanups; c; c = c->next)
		c->fn(c->data);
	p->cleanups = NULL;
}

static void pool_free_chunks(struct pool *p, int keep_first)
{
	struct chunk *c = p->chunks;
	while (c && (!keep_first || c->next)) {
		struct chunk *next = c->next;
		free(c);
		c = next;
	}
	p->chunks = c;
	if (c)
		c->used = 0;
}

static void pool_destroy(struct pool *p)
{
	while (p->children)
		pool_destroy(p->children);
	pool_run_cleanups(p);
	pool_free_chunks(p, 0);
	if (p->parent) {
		struct pool **pp = &p->parent->children;
		while (*pp != p)
			pp = &(*pp)->sibling;
		*pp = p->sibling;
	}
	free(p);
}

/* keep the first chunk, forget everything carved from it */
static void pool_reset(struct pool *p)
{
	while (p->children)
		pool_destroy(p->children);
	pool_run_cleanups(p);
	pool_free_chunks(p, 1);
}

struct conn {
#ifdef V2
	long bytes_in; /* new in 2 */
#endif
	int fd;
	int open;
	char *peer;
};

struct req {
	struct conn *conn;
	long id;
	struct req *next;
};

struct timer {
	long when;
	long period;
};

static struct pool *root, *server, *pending;
static struct req *reqs;
static struct timer *timers[3];
static struct conn *later[3];
static int generation; /* of the pending pool's contents */
static int closed, checked;

static void conn_close(void *data)
{
	struct conn *c = data;
	if (c->open)
		closed++;
	c->open = 0;
}

/* a cleanup run as a check: its data must be a live connection */
static void conn_verify(void *data)
{
	struct conn *c = data;
	char want[16];
	snprintf(want, sizeof(want), "10.0.0.%d", c->fd);
	if (c->open && !strcmp(c->peer, want))
		checked++;
}

static struct conn *conn_new(struct pool *p, int fd)
{
	struct conn *c = pool_alloc(p, sizeof(*c));
	c->fd = fd;
	c->open = 1;
	c->peer = pool_alloc(p, 16);
	snprintf(c->peer, 16, "10.0.0.%d", fd);
	pool_cleanup_add(p, conn_close, c);
	return c;
}

/* reset the pending pool and fill it again: timers in even generations,
 * connections in odd ones, at the same offsets of its chunk */
static void refill_pending(void)
{
	pool_reset(pending);
	memset(timers, 0, sizeof(timers));
	memset(later, 0, sizeof(later));
	for (int i = 0; i < 3; i++) {
		if (generation % 2) {
			later[i] = conn_new(pending, 60 + i);
			continue;
		}
		timers[i] = pool_alloc(pending, sizeof(struct timer));
		timers[i]->when = 5000 + i;
		timers[i]->period = 100 * (i + 1);
	}
}

static void init(void)
{
	root = pool_create(NULL, "root");
	server = pool_create(root, "server");
	struct pool *doomed = pool_create(root, "doomed");
	pending = pool_create(root, "pending");
	for (int i = 0; i < 4; i++) {
		struct pool *p = i % 2 ? server : doomed;
		struct conn *c = conn_new(p, 20 + i);
		struct req *r = pool_alloc(p, sizeof(*r));
		r->conn = c;
		r->id = i;
		r->next = reqs;
		if (p == server)
			reqs = r;
	}
	/* the pending pool: connections, then reset and refilled with timers */
	for (int i = 0; i < 3; i++)
		conn_new(pending, 40 + i);
	pool_destroy(doomed); /* before its older sibling */
	refill_pending();
}

static void check(void)
{
	int n = 0;
	for (struct req *r = reqs; r; r = r->next, n++) {
		CHECK(r->id % 2 == 1 && r->conn->fd == 20 + r->id && r->conn->open);
		CHECK(!strcmp(r->conn->peer, r->id == 1 ? "10.0.0.21" : "10.0.0.23"));
	}
	/* 2 by the destroyed pool, 3 by the first reset, 3 by each reset
	 * after a generation of connections */
	CHECK(n == 2 && closed == 5 + 3 * (generation / 2));
	CHECK(root->children == pending && pending->sibling == server && !server->sibling);
	CHECK(pending->chunks && !pending->chunks->next);
	for (int i = 0; i < 3; i++)
		if (generation % 2)
			CHECK(later[i]->fd == 60 + i && later[i]->open && atoi(later[i]->peer + 7) == 60 + i);
		else
			CHECK(timers[i]->when == 5000 + i && timers[i]->period == 100 * (i + 1));
	/* the cleanups must still find their connections */
	int cleanups = 0;
	checked = 0;
	for (struct cleanup *c = server->cleanups; c; c = c->next, cleanups++) {
		CHECK(c->fn == conn_close);
		conn_verify(c->data);
	}
	for (struct cleanup *c = pending->cleanups; c; c = c->next, cleanups++) {
		CHECK(c->fn == conn_close);
		conn_verify(c->data);
	}
	CHECK(cleanups == 2 + 3 * (generation % 2) && checked == cleanups);
#ifdef V2
	/* between updates: the pending pool is reset and filled with the
	 * other type, over the objects the last update transferred */
	generation++;
	refill_pending();
#endif
}

XT_MAIN_CHECKED(init, check)
