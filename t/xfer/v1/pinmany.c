/* SPDX-License-Identifier: GPL-3.0-or-later */
/* An untyped block (an unannotated allocator wrapper's) holding pointers
 * to 1,000 typed heap objects, whose type changes: every one of them is
 * pinned at its address with its new type (the transfer notes where each
 * pin comes from in a table that grows as pins come). */
#include "xt.h"

#define NKEEP 1000

struct keep {
	long a, b;
};

static void *xalloc(size_t n)
{
	return malloc(n);
}

static void *block; /* the untyped block, reached through void * only */

static __attribute__((noinline)) void init(void)
{
	struct keep **words = xalloc(NKEEP * sizeof(*words));
	for (long i = 0; i < NKEEP; i++) {
		words[i] = malloc(sizeof(*words[i]));
		words[i]->a = i;
		words[i]->b = 3 * i;
	}
	block = words;
}

int main(void)
{
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
