/* SPDX-License-Identifier: GPL-3.0-or-later */
/* slabgrow with its slab allocator in another file (slab.c), as
 * pgbouncer's is in libusual: slab_alloc is taken by address in no unit
 * that defines it, so the new version finds it by name.  Version 2 adds
 * members to struct item. */
#include "xt.h"
#include "slab.h"

#define PER_CHUNK 16



struct item {
	struct item *next;
	long key;
	char tag[16];
};

static struct slab *cache;
static struct item *items;

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
			slab_free(cache, all[i]);
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
