/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of v1/slabring.c (see there): struct item gains a member.
 * The item is checked, then connections come and go through the slab
 * (the new version's, of the new size), each checked. */
#include "xt.h"

#define PER_CHUNK 16

struct link {
	struct link *next, *prev;
};

struct slab {
	struct link all;          /* every slab, a ring through all_slabs */
	size_t size;              /* bytes of a slot: sizeof the object */
	struct link free;         /* free slots, a ring through their first words */
};

struct item {
	struct link head;         /* free list when free */
	long key;
	char tag[16];
	long cas;                 /* new */
};

/* a slab of objects whose type does not change */
struct name {
	struct link head;         /* free list when free */
	char text[24];
};

static struct link all_slabs = { &all_slabs, &all_slabs };
static struct slab *cache, *names;
static struct name *hello;
static struct item *current;

static struct slab *slab_create(size_t size)
{
	struct slab *s = calloc(1, sizeof(*s));
	s->size = size;
	s->free.next = s->free.prev = &s->free;
	s->all.next = all_slabs.next;
	s->all.prev = &all_slabs;
	all_slabs.next->prev = &s->all;
	all_slabs.next = &s->all;
	return s;
}

static void push_free(struct slab *s, struct link *l)
{
	l->next = s->free.next;
	l->prev = &s->free;
	s->free.next->prev = l;
	s->free.next = l;
}

STF_ALLOCATOR void *slab_alloc(struct slab *s);
void *slab_alloc(struct slab *s)
{
	if (s->free.next == &s->free) {
		char *chunk = calloc(PER_CHUNK, s->size);
		for (int i = PER_CHUNK - 1; i >= 0; i--)
			push_free(s, (struct link *)(chunk + i * s->size));
	}
	struct link *l = s->free.next;
	l->prev->next = l->next;
	l->next->prev = l->prev;
	memset(l, 0, s->size);
	return l;
}

static void slab_free(struct slab *s, void *p)
{
	push_free(s, p);
}

static void init(void)
{
	hello = slab_alloc(names);
	snprintf(hello->text, sizeof(hello->text), "hello");
	for (int i = 0; i < 3; i++) {
		struct item *it = slab_alloc(cache);
		it->key = i;
		snprintf(it->tag, sizeof(it->tag), "connection %d", i);
		if (i < 2)
			slab_free(cache, it);
		else
			current = it;
	}
}

int main(void)
{
	cache = slab_create(sizeof(struct item));
	names = slab_create(sizeof(struct name));
	XT_V2_RECEIVE(init);
	CHECK(cache->size == sizeof(struct item));
	/* the ring of slabs: the two, each once, both ways */
	int nslabs = 0, seen_cache = 0, seen_names = 0;
	for (struct link *l = all_slabs.next; l != &all_slabs && nslabs < 10; l = l->next, nslabs++) {
		CHECK(l->next->prev == l && l->prev->next == l);
		seen_cache += l == &cache->all;
		seen_names += l == &names->all;
	}
	CHECK(nslabs == 2 && seen_cache == 1 && seen_names == 1);
	CHECK(!strcmp(hello->text, "hello"));
	CHECK(current->key == 2 && !strcmp(current->tag, "connection 2"));
	struct item *live[8];
	for (int round = 0; round < 50; round++) {
		for (int i = 0; i < 8; i++) {
			live[i] = slab_alloc(cache);
			live[i]->key = round * 8 + i;
			live[i]->cas = ~live[i]->key;
		}
		for (int i = 0; i < 8; i++) {
			CHECK(live[i]->key == round * 8 + i && live[i]->cas == ~live[i]->key);
			slab_free(cache, live[i]);
		}
		CHECK(current->key == 2 && !strcmp(current->tag, "connection 2"));
	}
	XT_V2_RESULT();
}
