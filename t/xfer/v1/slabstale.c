/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A slab whose free function slab_put is declared STF_DEALLOCATOR, and a
 * table of every item ever handed out whose entries for the items given
 * back are left as they were (stale): each such entry points at a slot
 * given back whose start is the end of the live item before it.  Version
 * 2 grows the item, so the items move to slots of version 2's slab, laid
 * out one after the other there too.  A stale entry must keep pointing
 * nowhere: before, it was taken for a pointer one past the end of the
 * live item before its slot, relocated to the end of that item in the
 * new version, where the next live item starts (version 2 saw a stale
 * entry alias a live item), and the round trip differed the same way in
 * the reversed version (t/idioms/usualslab with slab_free taken for its
 * deallocator).  Built with -DBY_NAME, slab_put is slab_alloc's partner by
 * name (slab_free, no annotation). */
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
struct item *all[PER_CHUNK];     /* every item handed out, stale ones too */

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
