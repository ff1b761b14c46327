/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The slab of slabgrow, whose free function is declared STF_DEALLOCATOR
 * (slab_put: not named after slab_alloc), or, built with -DBY_NAME, is
 * slab_alloc's partner by name (slab_free, no annotation).  Version 1
 * hands out 16 items and gives 5 back before the update; version 2 grows
 * the item, so each live item gets a slot of version 2's slab.  The slab
 * counts the slots it has out: after the update version 2's slab must
 * have handed out 11, one per live item.  Before, the items given back
 * were still registered and got a slot each too (16), which nothing
 * would ever free: pgbouncer's growth over chained updates. */
#include "xt.h"

#ifdef BY_NAME
# define slab_put slab_free
# define PUT_DECL
#else
# define PUT_DECL STF_DEALLOCATOR
#endif

#define PER_CHUNK 16

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
};

struct slab *cache;               /* not static: kept at -O2 */
struct item *items;

static struct slab *slab_create(size_t size)
{
	struct slab *s = calloc(1, sizeof(*s));
	s->size = size;
	return s;
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

PUT_DECL void slab_put(struct slab *s, void *p);
void slab_put(struct slab *s, void *p)
{
	s->out--;
	*(void **)p = s->free;
	s->free = p;
}

static void init(void)
{
	struct item *all[PER_CHUNK];
	for (int i = 0; i < PER_CHUNK; i++) {
		all[i] = slab_alloc(cache);
		all[i]->key = i;
		snprintf(all[i]->tag, sizeof(all[i]->tag), "item %d", i);
	}
	for (int i = 0; i < PER_CHUNK; i++) {
		if (i % 3 == 1) {
			slab_put(cache, all[i]);
			continue;
		}
		all[i]->next = items;
		items = all[i];
	}
}

int main(void)
{
	cache = slab_create(sizeof(struct item));
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
