/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A slab whose slot size is sizeof the item, made at startup in every
 * start of the program (libusual's slab_create(sizeof(PgSocket)) in
 * pgbouncer's init): slab_alloc, declared STF_ALLOCATOR, takes the slab
 * and no size.  Freed items go back on the slab's free list, linked
 * through their first word.  Version 2 adds members to struct item: the
 * items no longer fit their slots, so the update hands each live item a
 * slot of the slab version 2's startup made (slab_alloc called with it),
 * the old slab's chunks stay behind, and the slab goes on with the new
 * size after the commit. */
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
	cache = slab_create(sizeof(struct item));
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
