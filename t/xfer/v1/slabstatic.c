/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The slab of v1/slabgrow.c as a static object set up at every start
 * (slab_init(&cache, sizeof(struct item))), slab_alloc(&cache) declared
 * STF_ALLOCATOR.  Version 2 adds members to struct item: each live item
 * gets a slot of version 2's own static slab, which keeps the state its
 * startup gave it. */
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

static struct slab cache;        /* a static slab, set up at every start */
static struct item *items;

static void slab_init(struct slab *s, size_t size)
{
	memset(s, 0, sizeof(*s));
	s->size = size;
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
		all[i] = slab_alloc(&cache);
		all[i]->key = i;
		snprintf(all[i]->tag, sizeof(all[i]->tag), "item %d", i);
	}
	for (int i = 0; i < PER_CHUNK; i++) {
		if (i % 3 == 1) {
			slab_free(&cache, all[i]);
			continue;
		}
		all[i]->next = items;
		items = all[i];
	}
}

int main(void)
{
	slab_init(&cache, sizeof(struct item));
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
