/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A slab whose slot size is a member set at startup from sizeof, the way
 * libusual's (pgbouncer's), memcached's or nginx's slabs are made:
 * `cache = slab_create(sizeof(struct item))`.  slab_alloc, declared
 * STF_ALLOCATOR, takes no size: the slab picks it.  Freed items go back
 * on the slab's free list, linked through their first word.  Version 2
 * adds members to struct item: the items no longer fit their slots, and
 * the slab made by version 1 still hands out slots of the old size, so
 * no update can be right unless the slab is made anew (the update must
 * roll back, naming the item, slab_alloc and the fix). */
#include "xt.h"

#define PER_CHUNK 16

struct slab {
	size_t size;              /* bytes of a slot: sizeof the object */
	void *free;               /* free slots, linked through their first word */
	char *cursor;             /* next never-used slot of the newest chunk */
	unsigned left;            /* never-used slots left there */
};

struct item {
	struct item *next;
	long key;
	char tag[16];
};

static struct slab *cache;
static struct item *items;

static struct slab *slab_create(size_t size)
{
	struct slab *s = calloc(1, sizeof(*s));
	s->size = size;
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
	if (!s->left) {
		s->cursor = malloc(PER_CHUNK * s->size);
		s->left = PER_CHUNK;
	}
	void *p = s->cursor;
	s->cursor += s->size;
	s->left--;
	return p;
}

static void slab_free(struct slab *s, void *p)
{
	*(void **)p = s->free;
	s->free = p;
}

static void init(void)
{
	cache = slab_create(sizeof(struct item));
	struct item *all[PER_CHUNK];
	for (int i = 0; i < PER_CHUNK; i++) {
		all[i] = slab_alloc(cache);
		all[i]->key = i;
		snprintf(all[i]->tag, sizeof(all[i]->tag), "item %d", i);
	}
	for (int i = 0; i < PER_CHUNK; i++) {
		if (i % 3 == 1) {
			slab_free(cache, all[i]);
			continue;
		}
		all[i]->next = items;
		items = all[i];
	}
}

int main(void)
{
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
