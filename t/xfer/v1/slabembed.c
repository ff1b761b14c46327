/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A slab cache embedded in the server's struct, as servers keep one per
 * kind of object: slab_alloc(&srv.conns), declared STF_ALLOCATOR, hands
 * out slots of the size srv.conns was made with at startup
 * (slab_init(&srv.conns, sizeof(struct conn)), at every start); the
 * slots are carved out of malloc'd chunks, a slot given back goes on a
 * free list linked through its first word (slab_free: slab_alloc's
 * partner by name).  Version 2 (built with -DV2) grows struct conn,
 * unless built with -DSAME.  The cache is not an object of its own (it
 * is a member of srv): a grown conn gets a slot of the new version's
 * cache, srv.conns as its startup set it, which keeps its own state
 * while the rest of srv is transferred.  With -DSAME the conns keep
 * their places and come and go through the cache after the commit.  With
 * -DIDLE every conn was given back before the update (none to move): the
 * new version's cache must still be the one with the new size.  With
 * -DHEAP the server is a heap object, which the update replaces with the
 * old one: no cache of the new version's startup is there, so the update
 * must roll back naming the conn, slab_alloc and why. */
#include "xt.h"

#define PER_CHUNK 8

struct slab {
	size_t size;              /* bytes of a slot */
	void *free;               /* slots given back */
	char *cursor;             /* next never-used slot of the newest chunk */
	unsigned left;            /* never-used slots there */
	unsigned out;             /* slots handed out and not given back */
};

struct conn {
	struct conn *next;
	int fd;
	long served;
#if defined(V2) && !defined(SAME)
	char peer[32];            /* new */
	long bytes;               /* new */
#endif
};

struct server {
	int port;
	struct slab conns;        /* the cache, embedded */
	struct conn *active;
	long accepted;
};

#ifdef HEAP
struct server *srvp;              /* the server a heap object (slabembed-heap) */
#define srv (*srvp)
#else
struct server srv;                /* not static: kept at -O2 */
#endif

#ifdef IDLE
#undef IDLE
#define IDLE 1                    /* every conn given back (slabembed-idle) */
#define LIVE 0
#else
#define IDLE 0
#define LIVE 15
#endif

static void slab_init(struct slab *s, size_t size)
{
	memset(s, 0, sizeof(*s));
	s->size = size;
}

STF_ALLOCATOR void *slab_alloc(struct slab *s);
void *slab_alloc(struct slab *s)
{
	s->out++;
	if (s->free) {
		void *p = s->free;
		s->free = *(void **)p;
		return p;
	}
	if (!s->left) {
		s->cursor = malloc(PER_CHUNK * s->size);
		s->left = PER_CHUNK;
	}
	void *p = s->cursor;
	s->cursor += s->size;
	s->left--;
	return p;
}

void slab_free(struct slab *s, void *p);
void slab_free(struct slab *s, void *p)
{
	s->out--;
	*(void **)p = s->free;
	s->free = p;
}

static void init(void)
{
	struct conn *all[20];
	for (int i = 0; i < 20; i++) {
		all[i] = slab_alloc(&srv.conns);
		all[i]->fd = 100 + i;
		all[i]->served = i * 10;
		srv.accepted++;
	}
	for (int i = 0; i < 20; i++) {
		if (i % 4 == 3 || IDLE) {
			slab_free(&srv.conns, all[i]);
			continue;
		}
		all[i]->next = srv.active;
		srv.active = all[i];
	}
}

int main(void)
{
#ifdef HEAP
	srvp = calloc(1, sizeof(*srvp));
#endif
	srv.port = 7000;
	slab_init(&srv.conns, sizeof(struct conn));
#ifndef V2
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
#else
	XT_V2_RECEIVE(init);
	CHECK(srv.port == 7000 && srv.accepted == 20);
	CHECK(srv.conns.size == sizeof(struct conn));
	unsigned n = 0;
	for (struct conn *c = srv.active; c; c = c->next, n++) {
		CHECK(c->fd >= 100 && c->fd < 120 && (c->fd - 100) % 4 != 3);
		CHECK(c->served == (c->fd - 100) * 10);
	}
	CHECK(n == LIVE);
	CHECK(srv.conns.out == n);
	/* the cache goes on: conns come and go, the received ones intact */
	for (int round = 0; round < 10; round++) {
		struct conn *fresh[6];
		for (int i = 0; i < 6; i++) {
			fresh[i] = slab_alloc(&srv.conns);
			memset(fresh[i], 0xee, sizeof(struct conn));
		}
		for (int i = 0; i < 6; i++)
			slab_free(&srv.conns, fresh[i]);
		for (struct conn *c = srv.active; c; c = c->next)
			CHECK(c->served == (c->fd - 100) * 10);
	}
	XT_V2_RESULT();
#endif
}
