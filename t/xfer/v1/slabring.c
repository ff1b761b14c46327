/* SPDX-License-Identifier: GPL-3.0-or-later */
/* libusual's slab (pgbouncer's client_cache) as v1/slablink.c, but made
 * at every start of the program, as pgbouncer does: slab_create(sizeof
 * (struct item)) keeps the slot size; a new chunk puts every slot on a
 * doubly linked free list at once (a ring through the slots' first words
 * and the slab's own head), and slab_alloc, declared STF_ALLOCATOR, pops
 * the head.  Version 2 adds a member to struct item: the live item gets a
 * slot of the slab version 2's startup made, and the old ring stays
 * behind with the old chunk. */
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
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
