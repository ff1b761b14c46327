/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Six slabs whose free functions are their STF_ALLOCATOR's partners by
 * name only (no STF_DEALLOCATOR), with other word pairs than alloc/free:
 * obj_new / obj_free, node_new / node_delete, buf_acquire / buf_release,
 * conn_create / conn_destroy, ent_alloc / ent_release, blk_get / blk_put
 * (a partner since blk_get is an STF_ALLOCATOR: before branch free13,
 * get/put was no pair, and blk_get's items given back stayed registered).  Version 1 hands out 16 items of each slab and gives 5
 * back before the update; version 2 (built with -DV2) grows the item, so
 * each live item gets a slot of version 2's slab: each slab must then
 * have 11 slots out.  Before, only alloc/free and alloc/dealloc were
 * partners: the items given back stayed registered and got a slot each
 * too (16), which nothing would ever free. */
#include "xt.h"

#define PER_CHUNK 16
#define NPOOLS 6

struct slab {
	size_t size;              /* bytes of a slot: sizeof the object */
	void *free;               /* free slots, linked through their first word */
	char *cursor;             /* next never-used slot of the newest chunk */
	unsigned left;            /* never-used slots left there */
	unsigned out;             /* slots handed out and not given back */
};

struct item {
	struct item *next;
	long key;
	char tag[16];
#ifdef V2
	long cas;                 /* new */
	char owner[24];           /* new */
#endif
};

#define ALLOCATOR(name)                                          \
	STF_ALLOCATOR void *name(struct slab *s);                \
	void *name(struct slab *s)                               \
	{                                                        \
		s->out++;                                        \
		if (s->free) {                                   \
			void *p = s->free;                       \
			s->free = *(void **)p;                   \
			return p;                                \
		}                                                \
		if (!s->left) {                                  \
			s->cursor = malloc(PER_CHUNK * s->size); \
			s->left = PER_CHUNK;                     \
		}                                                \
		void *p = s->cursor;                             \
		s->cursor += s->size;                            \
		s->left--;                                       \
		return p;                                        \
	}
#define GIVE_BACK(name)                                          \
	void name(struct slab *s, void *p);                      \
	void name(struct slab *s, void *p)                       \
	{                                                        \
		s->out--;                                        \
		*(void **)p = s->free;                           \
		s->free = p;                                     \
	}

ALLOCATOR(obj_new) GIVE_BACK(obj_free)
ALLOCATOR(node_new) GIVE_BACK(node_delete)
ALLOCATOR(buf_acquire) GIVE_BACK(buf_release)
ALLOCATOR(conn_create) GIVE_BACK(conn_destroy)
ALLOCATOR(ent_alloc) GIVE_BACK(ent_release)
ALLOCATOR(blk_get) GIVE_BACK(blk_put)

struct slab *caches[NPOOLS];      /* not static: kept at -O2 */
struct item *items[NPOOLS];

static void keep(int pool, struct item *it, int i)
{
	it->key = i;
	snprintf(it->tag, sizeof(it->tag), "item %d", i);
	it->next = items[pool];
	items[pool] = it;
}

/* 16 items of the pool's slab, then every third given back. */
#define FILL(pool, take, give)                                            \
	do {                                                              \
		struct item *all[PER_CHUNK];                              \
		for (int i = 0; i < PER_CHUNK; i++)                       \
			all[i] = take(caches[pool]);                      \
		for (int i = 0; i < PER_CHUNK; i++) {                     \
			if (i % 3 == 1)                                   \
				give(caches[pool], all[i]);               \
			else                                              \
				keep(pool, all[i], i);                    \
		}                                                         \
	} while (0);

static void init(void)
{
	FILL(0, obj_new, obj_free)
	FILL(1, node_new, node_delete)
	FILL(2, buf_acquire, buf_release)
	FILL(3, conn_create, conn_destroy)
	FILL(4, ent_alloc, ent_release)
	FILL(5, blk_get, blk_put)
}

int main(void)
{
	for (int pool = 0; pool < NPOOLS; pool++) {
		caches[pool] = calloc(1, sizeof(struct slab));
		caches[pool]->size = sizeof(struct item);
	}
#ifndef V2
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
#else
	XT_V2_RECEIVE(init);
	for (int pool = 0; pool < NPOOLS; pool++) {
		unsigned n = 0;
		for (struct item *it = items[pool]; it; it = it->next, n++) {
			char tag[16];
			snprintf(tag, sizeof(tag), "item %ld", it->key);
			CHECK(it->key % 3 != 1 && !strcmp(it->tag, tag) && it->cas == 0);
		}
		CHECK(n == 11);
		if (caches[pool]->out != n)
			fprintf(stderr, "FAIL: slab %d has %u slots out for %u live items\n",
				pool, caches[pool]->out, n);
		CHECK(caches[pool]->out == n);
	}
	XT_V2_RESULT();
#endif
}
