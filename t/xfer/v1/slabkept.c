/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A slab made at every start, which the startup already allocates from
 * (pgbouncer's startup takes its listening sockets and pools from its
 * slabs): the item does not change.  The new version's startup slab, its
 * chunk and its sentinel item are replaced by the transferred ones and
 * must be freed, not kept: before, libstf's record of slot allocator
 * arguments held the startup slab's address, which the sweep of the new
 * startup's objects took for a pointer, so the slab and its chunk were
 * kept (pgbouncer kept 27 objects, 320 KB, per chained update). */
#include "xt.h"

#define PER_CHUNK 16

struct slab {
	size_t size;
	void *free;
	char *cursor;
	unsigned left;
};

struct item {
	struct item *next;
	long key;
};

struct slab *cache;           /* not static: kept at -O2 */
struct item *sentinel, *items;

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

static void init(void)
{
	for (long i = 1; i <= 5; i++) {
		struct item *it = slab_alloc(cache);
		it->key = i;
		it->next = items;
		items = it;
	}
}

static void start(void)
{
	cache = slab_create(sizeof(struct item));
	sentinel = slab_alloc(cache);
	sentinel->key = -1;
	sentinel->next = NULL;
}

int main(void)
{
	start();
#ifndef V2
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
#else
	XT_V2_RECEIVE(init);
	long sum = 0;
	for (struct item *it = items; it; it = it->next)
		sum += it->key;
	CHECK(sum == 15 && sentinel->key == -1);
	XT_V2_RESULT();
#endif
}
