/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of v1/slabfree.c (see there): struct item gains two members.
 * The slab (this version's startup's) must have one slot out per live
 * item received; then items are allocated and given back through it. */
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
	XT_V2_RECEIVE(init);
	CHECK(cache->size == sizeof(struct item));
	unsigned n = 0;
	for (struct item *it = items; it; it = it->next, n++) {
		char tag[16];
		snprintf(tag, sizeof(tag), "item %ld", it->key);
		CHECK(it->key % 3 != 1 && !strcmp(it->tag, tag) && it->cas == 0);
		it->cas = it->key;
	}
	CHECK(n == 11);
	if (cache->out != n)
		fprintf(stderr, "FAIL: the slab has %u slots out for %u live items\n",
			cache->out, n);
	CHECK(cache->out == n);
	/* the slab goes on: items come and go, the received ones intact */
	for (int round = 0; round < 20; round++) {
		struct item *fresh[8];
		for (int i = 0; i < 8; i++) {
			fresh[i] = slab_alloc(cache);
			fresh[i]->key = 1000 + round * 8 + i;
			fresh[i]->cas = -1;
		}
		for (int i = 0; i < 8; i++) {
			CHECK(fresh[i]->key == 1000 + round * 8 + i && fresh[i]->cas == -1);
			slab_put(cache, fresh[i]);
		}
		for (struct item *it = items; it; it = it->next)
			CHECK(it->cas == it->key);
	}
	CHECK(cache->out == n);
	XT_V2_RESULT();
}
