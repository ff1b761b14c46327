/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of hlist.c: the table doubles (buckets keep their index),
 * the entry reorders and widens. */
#include "xt.h"

#define NB 16

struct ent {
	unsigned long key;
	char val[12];
	struct ent **pprev;
	unsigned hits;
	struct ent *next;
};

static struct ent *table[NB];
static struct ent **slot_of_5;

static __attribute__((noinline)) void insert(unsigned key)
{
	struct ent *e = calloc(1, sizeof(*e));
	struct ent **b = &table[key % 8];
	e->key = key;
	snprintf(e->val, sizeof(e->val), "v%u", key);
	e->next = *b;
	if (*b)
		(*b)->pprev = &e->next;
	e->pprev = b;
	*b = e;
}

static __attribute__((noinline)) void init(void)
{
	for (unsigned k = 1; k <= 20; k++)
		insert(k * 3);
	slot_of_5 = &table[5];
}

int main(void)
{
	XT_V2_RECEIVE(init);
	int n = 0;
	for (int b = 0; b < NB; b++) {
		struct ent **link = &table[b];
		for (struct ent *e = table[b]; e; link = &e->next, e = e->next, n++) {
			char want[12];
			snprintf(want, sizeof(want), "v%lu", e->key);
			CHECK(b < 8 && e->key % 8 == (unsigned)b && e->key % 3 == 0);
			CHECK(e->pprev == link && !strcmp(e->val, want) && e->hits == 0);
		}
	}
	CHECK(n == 20);
	CHECK(slot_of_5 == &table[5]);
	XT_V2_RESULT();
}
