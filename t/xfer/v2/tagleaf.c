/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A radix tree's slots hold `void *` that are either inner nodes or
 * leaves tagged in their low bit (`(void *)((uintptr_t)item | 1)`, the
 * Linux radix tree's idiom); the leaves' struct grows in version 2 (a
 * member before the key).  A tagged value points one byte into its item:
 * it must follow the item's start, or the update must roll back. */
#include <stdint.h>
#include <stdlib.h>
#include "xt.h"

struct item {
	long hits; /* new in 2 */
	long key;
	long value;
};

struct node {
	void *slots[4];
};

static struct node *root;

static __attribute__((noinline)) void init(void)
{
	root = calloc(1, sizeof(*root));
	struct node *inner = calloc(1, sizeof(*inner));
	root->slots[0] = inner;
	for (long i = 0; i < 4; i++) {
		struct item *it = malloc(sizeof(*it));
		it->hits = 0;
		it->key = i;
		it->value = 10 * i + 3;
		inner->slots[i] = (void *)((uintptr_t)it | 1);
	}
	struct item *it = malloc(sizeof(*it));
	it->hits = 0;
	it->key = 9;
	it->value = 93;
	root->slots[1] = (void *)((uintptr_t)it | 1);
}

static struct item *leaf(void *slot)
{
	return (uintptr_t)slot & 1 ? (struct item *)((uintptr_t)slot & ~(uintptr_t)1) : NULL;
}

int main(void)
{
	XT_V2_RECEIVE(init);
	struct node *inner = root->slots[0];
	for (long i = 0; i < 4; i++) {
		struct item *it = leaf(inner->slots[i]);
		CHECK(it && it->key == i && it->value == 10 * i + 3 && it->hits == 0);
	}
	struct item *it = leaf(root->slots[1]);
	CHECK(it && it->key == 9 && it->value == 93 && it->hits == 0);
	XT_V2_RESULT();
}
