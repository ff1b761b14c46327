/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libusual's slab as pgbouncer uses it (t/idioms/usualslab is that
 * library's shape): a static `struct slab *` made at startup with the
 * size of struct conn, passed to slab_alloc at two sites.  new_server's
 * is called (four live conns); takeover_server's (pgbouncer's
 * use_server_socket, online restart's takeover) is never called, so no
 * argument is recorded for its site.  Version 2 grows struct conn.  Both
 * sites pass the same static, whose value names the slab: the update
 * commits, the conns in slots of version 2's slab, and both sites go on
 * handing out slots of the new size (before: rolled back, "its allocator
 * was never called with a slab of its own": no argument recorded, which
 * slab was not known).  Built with -DOTHER, takeover_server passes a
 * slab of its own (takeover_cache, made at startup, never used): its
 * static names it too, and it is replaced by the one version 2's startup
 * made, as a slab whose objects were all given back (t/xfer/slabempty).
 *
 * Variants of wave 15 (t/xfer/slab15-*):
 * -DHELPER: both sites hand their slot straight to one function filling
 *   it, `add_server(slab_alloc(server_cache), id)`: the site is typed by
 *   that function's parameter (before: untyped, its objects never
 *   registered, the update committed with the old slab and the conns in
 *   the old layout, or version 2 crashed during the commit).
 * -DMEMBER: the slab is a member of a static, `slab_alloc(srv.cache)` at
 *   both sites: the plugin records the path from the static (offset 8).
 * -DCHAIN: the slabs hang off a heap object a global points to and each
 *   site passes its own, `slab_alloc(g->pools[1])` and the idle site's
 *   `slab_alloc(g->pools[2])` (paths "0,16" and "0,24"): the idle site's
 *   slab, made at startup and never used, is replaced by the one version
 *   2's startup made.
 * MEMBER and CHAIN rolled back before ("its allocator was never called
 * with a slab of its own"). */
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

#if defined(MEMBER)
static struct server {
	int port;
	struct slab *cache;
} srv;
# define SERVER_CACHE srv.cache
# define TAKEOVER_CACHE srv.cache
#elif defined(CHAIN)
struct server {
	int port;
	struct slab *pools[3];    /* [1] servers, [2] takeovers */
};
struct server *g;                 /* not static: kept at -O2 */
# define SERVER_CACHE g->pools[1]
# define TAKEOVER_CACHE g->pools[2]
#else
static struct slab *server_cache;
# define SERVER_CACHE server_cache
# ifdef OTHER
static struct slab *takeover_cache;
#  define TAKEOVER_CACHE takeover_cache
# else
#  define TAKEOVER_CACHE server_cache
# endif
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

#ifdef HELPER
/* the one function both sites hand their slot to */
__attribute__((noinline)) static struct conn *add_server(struct conn *c, long id)
#else
static struct conn *fill(struct conn *c, long id)
#endif
{
	memset(c, 0, sizeof(*c));
	c->id = id;
	snprintf(c->name, sizeof(c->name), "server %ld", id);
	c->next = servers;
	servers = c;
	return c;
}

/* Two call sites of slab_alloc, each storing its slot (typed by that
 * store), or with HELPER handing it to add_server: one called, one not. */
static struct conn *new_server(long id)
{
#ifdef HELPER
	return add_server(slab_alloc(SERVER_CACHE), id);
#else
	struct conn *c = slab_alloc(SERVER_CACHE);
	return fill(c, id);
#endif
}

/* online restart's takeover: never called before the update */
__attribute__((noinline)) static struct conn *takeover_server(long id)
{
#ifdef HELPER
	return add_server(slab_alloc(TAKEOVER_CACHE), id);
#else
	struct conn *c = slab_alloc(TAKEOVER_CACHE);
	return fill(c, id);
#endif
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
#ifdef OTHER
	takeover_cache = slab_create(sizeof(struct conn));
#endif
	if (getenv("IDLESLAB14_TAKEOVER")) /* never set: keeps the site */
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
