/* SPDX-License-Identifier: GPL-3.0-or-later */
/* See v1/pinmany.c; struct keep's members change places (same size). */
#include "xt.h"

#define NKEEP 1000

struct keep {
	long b, a;
};

static void *xalloc(size_t n)
{
	return malloc(n);
}

static void *block; /* the untyped block, reached through void * only */

static __attribute__((noinline)) void init(void)
{
	struct keep **words = xalloc(NKEEP * sizeof(*words));
	for (long i = 0; i < NKEEP; i++)
		words[i] = malloc(sizeof(*words[i]));
	block = words;
}

int main(void)
{
	XT_V2_RECEIVE(init);
	struct keep **words = block;
	for (long i = 0; i < NKEEP; i++)
		CHECK(words[i] && words[i]->a == i && words[i]->b == 3 * i);
	XT_V2_RESULT();
}
