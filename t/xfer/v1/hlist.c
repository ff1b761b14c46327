/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A hash table with pprev links (pointers to the previous link: a bucket
 * slot of a static array or the next member of a heap entry). */
#include "xt.h"

#define NB 8

struct ent {
	struct ent *next;
	struct ent **pprev;
	unsigned key;
	char val[8];
};

static struct ent *table[NB];
static struct ent **slot_of_5;

static __attribute__((noinline)) void insert(unsigned key)
{
	struct ent *e = calloc(1, sizeof(*e));
	struct ent **b = &table[key % NB];
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
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
