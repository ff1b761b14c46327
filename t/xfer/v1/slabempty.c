/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The slab of v1/slabfree.c (slab_put declared STF_DEALLOCATOR, or with
 * -DBY_NAME slab_alloc's partner slab_free), every item given back
 * before the update: no live object of the slab's site is left, as in a
 * connection pooler with no client connected.  Version 2 grows the item;
 * after the update its slab must be the one its startup made, with the
 * new size: nothing is to be moved, so nothing says the slab is the
 * allocator's state, and before, the old slab (the old size, the old
 * chunks) was carried into the new version, whose slab_alloc then handed
 * out slots too small for the grown item (pgbouncer 1.25.2 -> 1.25.2
 * with a member added to PgSocket and no client connected: committed,
 * then SIGSEGV at the first login).  Built with -DNEVER, slab_alloc is
 * never called: which slab it will be called with is not known, and the
 * update must roll back naming the site (pgbouncer with no client ever
 * connected). */
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

#ifdef NEVER
int nitems;                       /* 0: the slab is made, never used */
#else
int nitems = PER_CHUNK;
#endif

static void init(void)
{
	struct item *all[PER_CHUNK];
	for (int i = 0; i < nitems; i++) {
		all[i] = slab_alloc(cache);
		all[i]->key = i;
		snprintf(all[i]->tag, sizeof(all[i]->tag), "item %d", i);
	}
	for (int i = 0; i < nitems; i++)
		slab_put(cache, all[i]);
}

int main(void)
{
	cache = slab_create(sizeof(struct item));
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
