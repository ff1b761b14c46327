/* SPDX-License-Identifier: GPL-3.0-or-later */
/* See v1/incomplete/table.c.  Version 2 adds a member in front and moves
 * the function pointer: the block must get its type to be transformed. */
#include <stdlib.h>
#include "table.h"

struct table {
	long calls;
	int base;
	long *weights;
	int (*op)(int, int);
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

int table_is_sane(const struct table *t)
{
	long sum = 0;
	for (int i = 0; i < 4; i++)
		sum += t->weights[i];
	return t->op == add && t->calls == 0 && sum == 10 && t->next == &fallback &&
	       fallback.base == -1;
}
