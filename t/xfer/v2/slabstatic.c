/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of v1/slabstatic.c (see there): struct item gains two
 * members.  The received items and the free list are checked, then items
 * are allocated and freed many times through the static slab, every
 * item's contents checked after each round. */
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
	long cas;                 /* new */
	char owner[24];           /* new */
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

static void fill(struct item *it, long key)
{
	it->key = key;
	snprintf(it->tag, sizeof(it->tag), "item %ld", key);
	it->cas = key * 7;
	snprintf(it->owner, sizeof(it->owner), "owner of %ld", key);
}

static int intact(const struct item *it, long key)
{
	char tag[16], owner[24];
	snprintf(tag, sizeof(tag), "item %ld", key);
	snprintf(owner, sizeof(owner), "owner of %ld", key);
	return it->key == key && !strcmp(it->tag, tag) && it->cas == key * 7 &&
	       !strcmp(it->owner, owner);
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
	XT_V2_RECEIVE(init);
	CHECK(cache.size == sizeof(struct item));
	int n = 0;
	for (struct item *it = items; it; it = it->next, n++) {
		char tag[16];
		snprintf(tag, sizeof(tag), "item %ld", it->key);
		CHECK(it->key % 3 != 1 && !strcmp(it->tag, tag) && it->cas == 0);
		fill(it, it->key);
	}
	CHECK(n == 11);
	/* the slab goes on: 40 rounds of 30 allocations and 25 frees */
	struct item *live[1200];
	int nlive = 0;
	long next_key = 100;
	for (int round = 0; round < 40; round++) {
		for (int i = 0; i < 30; i++) {
			struct item *it = slab_alloc(&cache);
			fill(it, next_key++);
			live[nlive++] = it;
		}
		for (int i = 0; i < 25; i++) {
			int k = (i * 7 + round) % nlive;
			slab_free(&cache, live[k]);
			live[k] = live[--nlive];
		}
		for (int i = 0; i < nlive; i++)
			CHECK(intact(live[i], live[i]->key));
		for (struct item *it = items; it; it = it->next)
			CHECK(intact(it, it->key));
	}
	for (struct item *it = items, *next; it; it = next) {
		next = it->next;
		slab_free(&cache, it);
	}
	XT_V2_RESULT();
}
