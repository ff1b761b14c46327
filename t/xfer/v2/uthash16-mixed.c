/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of uthash16-mixed: struct dog's handle moves, struct cat's
 * does not.  The update must roll back (it never gets here). */
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
	long walks; /* new in 2 */
	UT_hash_handle hh;
};

struct cat *pets;
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
	XT_V2_RECEIVE(init);
	for (int i = 0; i < 8; i++) {
		struct cat *c;
		HASH_FIND_INT(pets, &i, c);
		CHECK(c && c->id == i);
	}
	XT_V2_RESULT();
}
