/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of v1/slabempty.c (see there): struct item gains two members.
 * The slab must be this version's startup's, with the new size: items
 * then come and go through it without overlapping. */
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
	long cas;                 /* new */
	char owner[24];           /* new */
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
	XT_V2_RECEIVE(init);
	if (cache->size != sizeof(struct item))
		fprintf(stderr, "FAIL: the slab hands out %zu-byte slots for %zu-byte items\n",
			cache->size, sizeof(struct item));
	CHECK(cache->size == sizeof(struct item));
	CHECK(items == NULL && cache->out == 0);
	/* items come and go, each intact while the others are written */
	struct item *fresh[24];
	for (int i = 0; i < 24; i++) {
		fresh[i] = slab_alloc(cache);
		memset(fresh[i], i, sizeof(struct item));
	}
	for (int i = 0; i < 24; i++)
		for (size_t k = 0; k < sizeof(struct item); k++)
			CHECK(((unsigned char *)fresh[i])[k] == i);
	for (int i = 0; i < 24; i++)
		slab_put(cache, fresh[i]);
	XT_V2_RESULT();
}
