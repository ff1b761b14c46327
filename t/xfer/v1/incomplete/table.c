/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The table is allocated through a wrapper of another unit that nobody
 * annotated with STF_ALLOCATOR: its allocation site has no type.
 * main.c's pointer to it is a `struct table *` of a type incomplete
 * there; the engine completes it by tag with this unit's definition
 * (in the metadata thanks to the static `fallback`). */
#include <stdlib.h>
#include "table.h"

struct table {
	int (*op)(int, int);
	int base;
	long *weights;
	const struct table *next;
};

static struct table fallback;

void *xalloc(size_t n); /* alloc.c */

static int add(int a, int b)
{
	return a + b;
}

struct table *table_new(int base)
{
	struct table *t = xalloc(sizeof(*t));
	t->op = add;
	t->base = base;
	t->weights = xalloc(4 * sizeof(long));
	for (int i = 0; i < 4; i++)
		t->weights[i] = i + 1;
	t->next = &fallback;
	fallback.base = -1;
	return t;
}

int table_apply(const struct table *t, int v)
{
	return t->op(t->base, v);
}
