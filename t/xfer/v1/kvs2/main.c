/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A key-value store in three files (allocator wrappers declared
 * STF_ALLOCATOR in the header, a hash table grown by rehashing, an LRU
 * list through a member embedded in the entries with a static sentinel);
 * the loop reads the whole state at every turn, and its locals hold a
 * cursor into the table (built -O2 by kvs2-O2.xfer). */
#include "kvs.h"

static __attribute__((noinline)) void init(void)
{
	char key[16];
	for (int i = 0; i < 23; i++) {
		snprintf(key, sizeof(key), "key-%d", i);
		put(key, i * 11 - 50);
	}
	put("key-3", 3333);
	get("key-7");
	get("key-0");
}

int main(void)
{
	unsigned long want = 0, turns = 0;
	struct ent *cursor = NULL;
	unsigned bucket = 0;

	if (!stf_is_updating()) {
		init();
		want = checksum();
	}
	for (;;) {
		stf_update_point();
		if (checksum() != want)
			abort();
		/* walk the table one entry per turn */
		if (cursor && cursor->nxt) {
			cursor = cursor->nxt;
		} else {
			cursor = NULL;
			for (unsigned n = 0; n < tab.nbuckets && !cursor; n++) {
				bucket = (bucket + 1) % tab.nbuckets;
				cursor = tab.buckets[bucket];
			}
		}
		if (cursor && cursor->key[0] != 'k')
			abort();
		turns++;
		usleep(1000);
	}
}
