/* SPDX-License-Identifier: GPL-3.0-or-later */
/* See v1/conserv.c; struct item's members change places. */
#include "xt.h"

struct keep {
	long a, b;
};

struct item {
	long value;
	long id;
};

static void *xalloc(size_t n)
{
	return malloc(n);
}

static int twice(int v)
{
	return 2 * v;
}

static void *block; /* the untyped block, reached through void * only */
static struct keep *keep;
static struct item *item;

static __attribute__((noinline)) void init(void)
{
	keep = malloc(sizeof(*keep));
	item = malloc(sizeof(*item));
	void **words = xalloc(5 * sizeof(*words));
	words[0] = (void *)printf;
	words[3] = (void *)twice;
	block = words;
}

int main(void)
{
	XT_V2_RECEIVE(init);
	void **words = block;
	CHECK(words[0] == (void *)printf);
	CHECK(words[1] == (void *)0x12345678);
	CHECK(words[2] == keep && keep->a == 1 && keep->b == 2);
	CHECK(words[3] == (void *)twice && ((int (*)(int))words[3])(4) == 8);
	CHECK(words[4] == item && item->id == 7 && item->value == 70);
	XT_V2_RESULT();
}
