/* SPDX-License-Identifier: GPL-3.0-or-later */
/* See v1/rawstale-adjacent.c; struct slot grows from 40 to 48 bytes, its
 * whole heap slot: the stale end of slots[0] is its new end, where
 * slots[1] starts. */
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
	CHECK(!strcmp(slots[0]->name, "slot0") && slots[1]->value == 10);
	void **w = raw;
	CHECK(w[0] == (char *)(slots[0] + 1) && w[0] == (char *)slots[1]);
	CHECK(w[1] == (char *)slots[1] && w[2] == slots[0]->name && !w[3]);
	XT_V2_RESULT();
}
