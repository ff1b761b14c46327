/* SPDX-License-Identifier: GPL-3.0-or-later */
/* See v1/rawstale-adjacent.c; struct slot grows from 40 to 48 bytes, its
 * whole heap slot (the update must roll back: this check is never
 * reached). */
#include "xt.h"

struct slot {
	long key;
	long hits;
	long value;
	char name[24];
};

static void *xalloc(size_t n)
{
	return malloc(n);
}

static void *raw;
static struct slot *slots[2];

static __attribute__((noinline)) void init(void)
{
	for (int i = 0; i < 2; i++)
		slots[i] = malloc(sizeof(*slots[i]));
	void **w = xalloc(4 * sizeof(*w));
	memset(w, 0, 4 * sizeof(*w));
	raw = w;
}

int main(void)
{
	XT_V2_RECEIVE(init);
	CHECK(slots[0]->hits == 0 && slots[1]->key == 1);
	XT_V2_RESULT();
}
