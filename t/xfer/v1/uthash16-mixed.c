/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * One uthash table holding elements of two struct types whose handles
 * sit at the same offset (uthash allows it: it only needs that offset).
 * Version 2 (this file with V2 defined) adds a member before the handle
 * of one of them: no single offset is right for the table any more, and
 * the update must roll back (version 2's checks never run).
 */
#include <uthash.h>
#include "xt.h"

struct cat {
	int id;
	int lives;
	UT_hash_handle hh;
};

struct dog {
	int id;
	int tricks;
#ifdef V2
	long walks; /* new in 2 */
#endif
	UT_hash_handle hh;
};

struct cat *pets; /* cats and dogs, keyed by id */
struct dog *dogs[4];

static void init(void)
{
	for (int i = 0; i < 8; i++) {
		if (i % 2) {
			struct dog *d = dogs[i / 2] = calloc(1, sizeof *d);
			d->id = i;
			d->tricks = i;
			HASH_ADD_INT(pets, id, (struct cat *)d);
		} else {
			struct cat *c = calloc(1, sizeof *c);
			c->id = i;
			c->lives = 9;
			HASH_ADD_INT(pets, id, c);
		}
	}
}

int main(void)
{
	XT_PAIR_START(init);
#ifdef V2
	for (int i = 0; i < 8; i++) {
		struct cat *c;
		HASH_FIND_INT(pets, &i, c);
		CHECK(c && c->id == i);
	}
	XT_V2_RESULT();
#endif
}
