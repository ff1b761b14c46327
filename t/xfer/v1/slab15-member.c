/* SPDX-License-Identifier: GPL-3.0-or-later */
/* t/xfer/idleslab14 with the slab argument read from a member of a
 * static: `slab_alloc(srv.cache)` at both sites (new_server's called,
 * four live conns; takeover_server's never), struct conn growing.  The
 * plugin records the path from the static to the slab (STF_SF_SLAB_STATIC,
 * slab_path "8"), which the update follows in the old process to find
 * the slab of the idle site: it commits, the conns in slots of version
 * 2's slab, and both sites go on handing out slots of the new size
 * (before: rolled back, "its allocator was never called with a slab of
 * its own").  Built with -DCHAIN, the slabs hang off a heap object a
 * global points to and each site passes its own, `slab_alloc(g->pools[1])`
 * and `slab_alloc(g->pools[2])` (path "0,16" and "0,24"): the idle
 * site's slab, made at startup and never used, is replaced by the one
 * version 2's startup made. */
#include "xt.h"

#define PER_CHUNK 8

struct chunk {
	struct chunk *next;
	char slots[];
};

struct slab {
	size_t size;              /* bytes of a slot: sizeof the object */
	struct chunk *chunks;     /* every chunk, newest first */
	void *free;               /* free slots, linked through their first word */
	unsigned used;            /* slots handed out of the newest chunk */
};

struct conn {
	struct conn *next;
	long id;
	char name[16];
#ifdef V2
	long generation;          /* new: the slot must hold it */
	char peer[24];
#endif
};

#ifdef CHAIN
struct server {
	int port;
	struct slab *pools[3];    /* [1] servers, [2] takeovers */
};
struct server *g;                 /* not static: kept at -O2 */
# define SERVER_CACHE g->pools[1]
# define TAKEOVER_CACHE g->pools[2]
#else
static struct server {
	int port;
	struct slab *cache;
} srv;
# define SERVER_CACHE srv.cache
# define TAKEOVER_CACHE srv.cache
#endif
struct conn *servers;             /* not static: kept at -O2 */

static struct slab *slab_create(size_t size)
{
	struct slab *s = calloc(1, sizeof(*s));
	s->size = size;
	s->used = PER_CHUNK;
	return s;
}

STF_ALLOCATOR void *slab_alloc(struct slab *s);
void *slab_alloc(struct slab *s)
{
	if (s->free) {
		void *p = s->free;
		s->free = *(void **)p;
		return p;
	}
	if (s->used == PER_CHUNK) {
		struct chunk *c = malloc(sizeof(*c) + PER_CHUNK * s->size);
		c->next = s->chunks;
		s->chunks = c;
		s->used = 0;
	}
	return s->chunks->slots + s->size * s->used++;
}

/* fills a slot */
__attribute__((noinline)) static struct conn *add_server(struct conn *c, long id)
{
	memset(c, 0, sizeof(*c));
	c->id = id;
	snprintf(c->name, sizeof(c->name), "server %ld", id);
	c->next = servers;
	servers = c;
	return c;
}

static struct conn *new_server(long id)
{
	struct conn *c = slab_alloc(SERVER_CACHE);
	return add_server(c, id);
}

/* online restart's takeover: never called before the update */
__attribute__((noinline)) static struct conn *takeover_server(long id)
{
	struct conn *c = slab_alloc(TAKEOVER_CACHE);
	return add_server(c, id);
}

static void setup(void)
{
#ifdef CHAIN
	g = calloc(1, sizeof(*g));
	for (int i = 0; i < 3; i++)
		g->pools[i] = slab_create(sizeof(struct conn));
#else
	SERVER_CACHE = slab_create(sizeof(struct conn));
#endif
	if (getenv("SLAB15_TAKEOVER")) /* never set: keeps the site */
		takeover_server(-1);
}

static void init(void)
{
	for (long id = 0; id < 4; id++)
		new_server(id);
}

#ifndef V2
int main(void)
{
	setup();
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
#else
/* Whether c is a slot of slab s, as s hands them out. */
static int in_slab(const struct slab *s, const struct conn *c)
{
	for (const struct chunk *k = s->chunks; k; k = k->next) {
		const char *p = (const char *)c;
		if (p >= k->slots && p < k->slots + PER_CHUNK * s->size)
			return (size_t)(p - k->slots) % s->size == 0;
	}
	return 0;
}

static int intact(const struct conn *c)
{
	char name[16];
	snprintf(name, sizeof(name), "server %ld", c->id);
	return !strcmp(c->name, name) && c->generation == c->id * 7;
}

int main(void)
{
	setup();
	XT_V2_RECEIVE(init);
	CHECK(SERVER_CACHE->size == sizeof(struct conn));
	CHECK(TAKEOVER_CACHE->size == sizeof(struct conn));
	int n = 0;
	for (struct conn *c = servers; c; c = c->next, n++) {
		CHECK(c->id == 3 - n && in_slab(SERVER_CACHE, c));
		CHECK(c->generation == 0);
		c->generation = c->id * 7;
	}
	CHECK(n == 4);
	/* both sites go on handing out slots that hold the grown conn */
	for (long id = 4; id < 40; id++) {
		struct conn *c = id % 2 ? takeover_server(id) : new_server(id);
		c->generation = id * 7;
		memset(c->peer, 'p', sizeof(c->peer));
		for (struct conn *o = servers; o; o = o->next)
			CHECK(intact(o));
	}
	XT_V2_RESULT();
}
#endif
