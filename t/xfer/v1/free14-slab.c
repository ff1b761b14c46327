/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A slab of 64-byte chunks carved from one block (t/xfer/subobj's slab):
 * slab_alloc, declared STF_ALLOCATOR, takes no argument; slab_release is
 * its partner by name, so the chunks given back are no longer objects.
 * Version 1 hands out six items, gives chunks 1 and 4 back and hands
 * chunk 4 out again: the live items sit in chunks 0, 2, 3, 4 and 5, no
 * longer evenly spaced.  Version 2 (built with -DV2) grows the item from
 * 32 to 40 bytes, which still fits its 64-byte chunk; version 2 checks
 * the items in their chunks, then allocates and gives back through the
 * slab, every item checked after each round (overlapping slots would
 * show).  Before, the update rolled back: the chunk size was taken from
 * the spacing of the live items, which the given-back chunk broke. */
#include "xt.h"

#define SLAB_CHUNK 64
#define NCHUNKS 64

struct item {
	struct item *next;   /* also the free-list link */
	long key;
	char tag[16];
#ifdef V2
	long version;        /* new: grows into the chunk */
#endif
};

char *slab;                  /* not static: kept at -O2 */
int slab_used;
void *slab_free_list;
struct item *items;

STF_ALLOCATOR void *slab_alloc(void);
void *slab_alloc(void)
{
	if (slab_free_list) {
		void *p = slab_free_list;
		slab_free_list = *(void **)p;
		return p;
	}
	if (!slab)
		slab = calloc(NCHUNKS, SLAB_CHUNK);
	if (slab_used == NCHUNKS)
		abort();
	return slab + SLAB_CHUNK * slab_used++;
}

void slab_release(void *p);
void slab_release(void *p)
{
	*(void **)p = slab_free_list;
	slab_free_list = p;
}

static void fill(struct item *it, long key, const char *what)
{
	it->key = key;
	snprintf(it->tag, sizeof(it->tag), "%s %ld", what, key);
}

static void init(void)
{
	struct item *all[6];
	for (int i = 0; i < 6; i++) {
		all[i] = slab_alloc();
		fill(all[i], i, "first");
	}
	slab_release(all[1]);
	slab_release(all[4]);
	/* chunk 4 handed out again, as a new item */
	struct item *again = slab_alloc();
	fill(again, 40, "again");
	for (int i = 0; i < 6; i++)
		if (i != 1 && i != 4) {
			all[i]->next = items;
			items = all[i];
		}
	again->next = items;
	items = again;
}

#ifndef V2
int main(void)
{
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
#else
static int intact(const struct item *it)
{
	char tag[16];
	snprintf(tag, sizeof(tag), "%s %ld", it->key == 40 ? "again" :
		 it->key >= 100 ? "later" : "first", it->key);
	return !strcmp(it->tag, tag) && it->version == it->key * 3;
}

int main(void)
{
	static const long keys[] = { 40, 5, 3, 2, 0 };
	XT_V2_RECEIVE(init);
	int n = 0;
	for (struct item *it = items; it; it = it->next, n++) {
		CHECK(n < 5 && it->key == keys[n]);
		CHECK(((char *)it - slab) % SLAB_CHUNK == 0);
		CHECK(it->version == 0);
		CHECK(!strncmp(it->tag, it->key == 40 ? "again" : "first", 5));
		it->version = it->key * 3;
	}
	CHECK(n == 5);
	CHECK(slab_used == 6 && slab_free_list == slab + SLAB_CHUNK &&
	      *(void **)slab_free_list == NULL);
	/* the slab goes on: 20 rounds of 3 allocations and 2 releases */
	struct item *live[64];
	int nlive = 0;
	long next_key = 100;
	for (int round = 0; round < 20; round++) {
		for (int i = 0; i < 3; i++) {
			struct item *it = slab_alloc();
			fill(it, next_key, "later");
			it->version = next_key++ * 3;
			live[nlive++] = it;
		}
		for (int i = 0; i < 2; i++) {
			int k = (i * 7 + round) % nlive;
			slab_release(live[k]);
			live[k] = live[--nlive];
		}
		for (int i = 0; i < nlive; i++)
			CHECK(intact(live[i]));
		for (struct item *it = items; it; it = it->next)
			CHECK(intact(it));
	}
	XT_V2_RESULT();
}
#endif
