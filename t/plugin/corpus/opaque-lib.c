/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unit 2: the only unit completing struct table.  No object, allocation
 * site or frame of this unit has any of its types: the memory comes from
 * a byte pool. */
#include <stddef.h>
#include <stdio.h>
#include "opaque.h"

struct bucket {
	int key;
	struct bucket *next;
};

typedef int (*hash_fn)(int key);

enum table_mode { TM_PLAIN = 1, TM_SORTED = 4 };

struct table {
	unsigned nbuckets;
	hash_fn hash;
	struct bucket **buckets;
	enum table_mode mode;
	unsigned frozen : 1, depth : 5;
	union {
		long counter;
		double ratio;
	} stats;
	struct in_header *owner;
};

DEFINE_PAIR(pair);

/* A struct without fields holds nothing to transfer. */
struct empty {
};

static _Alignas(16) unsigned char pool[1024];
static size_t used;

static void *carve(size_t n)
{
	void *p = pool + used;
	used += (n + 15) & ~(size_t)15;
	return p;
}

static int ident(int key)
{
	return key;
}

struct table *table_new(unsigned nbuckets)
{
	/* Defined inside a function: no other unit can name it. */
	struct local_only {
		int x;
	};
	struct table *t = carve(sizeof *t);
	t->nbuckets = nbuckets;
	t->hash = ident;
	t->buckets = carve(nbuckets * sizeof *t->buckets);
	t->mode = TM_PLAIN;
	return t;
}

int table_put(struct table *t, int key)
{
	struct bucket *b = carve(sizeof *b);
	unsigned i = (unsigned)t->hash(key) % t->nbuckets;
	b->key = key;
	b->next = t->buckets[i];
	t->buckets[i] = b;
	return t->buckets[i]->key == key;
}

/* The layout as this compiler sees it, for the test to compare with. */
void table_print_layout(void)
{
	printf("size %zu\n", sizeof(struct table));
	printf("nbuckets %zu\nhash %zu\nbuckets %zu\nmode %zu\nstats %zu\nowner %zu\n",
	       offsetof(struct table, nbuckets), offsetof(struct table, hash),
	       offsetof(struct table, buckets), offsetof(struct table, mode),
	       offsetof(struct table, stats), offsetof(struct table, owner));
	printf("pair.second %zu\n", offsetof(struct pair, second));
}
