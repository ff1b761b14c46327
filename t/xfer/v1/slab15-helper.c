/* SPDX-License-Identifier: GPL-3.0-or-later */
/* t/xfer/idleslab14 with the objects of both slab_alloc sites filled by
 * one helper: `add_server(slab_alloc(server_cache), id)`, the slot created
 * in one function and filled (and linked) by another, as a program routing
 * its connections through one constructor does.  new_server's site is
 * called (four live conns), takeover_server's never; both pass the static
 * server_cache.  Version 2 grows struct conn. */
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

static struct slab *server_cache;
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

/* the one constructor both sites hand their slot to */
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
	return add_server(slab_alloc(server_cache), id);
}

/* online restart's takeover: never called before the update */
__attribute__((noinline)) static struct conn *takeover_server(long id)
{
	return add_server(slab_alloc(server_cache), id);
}

static void setup(void)
{
	server_cache = slab_create(sizeof(struct conn));
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
	CHECK(server_cache->size == sizeof(struct conn));
	int n = 0;
	for (struct conn *c = servers; c; c = c->next, n++) {
		CHECK(c->id == 3 - n && in_slab(server_cache, c));
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
