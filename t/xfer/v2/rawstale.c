/* SPDX-License-Identifier: GPL-3.0-or-later */
/* See v1/rawstale.c; a member is added before sum, which widens: every
 * member after hash moves, the slot grows (20 -> 28 bytes, still short of
 * the next 32-byte heap slot: its end is no other object's start). */
#include "xt.h"

struct slot {
	unsigned hash;
	int gets;
	unsigned sum;
	char name[9];
	int seq;
};

static void *xalloc(size_t n)
{
	return malloc(n);
}

static void *raw;
static struct slot *slots[3];

static __attribute__((noinline)) void init(void)
{
	for (int i = 0; i < 3; i++) {
		slots[i] = malloc(sizeof(*slots[i]));
		slots[i]->gets = 0;
	}
	void **w = xalloc(16 * sizeof(*w));
	memset(w, 0, 16 * sizeof(*w));
	raw = w;
}

int main(void)
{
	XT_V2_RECEIVE(init);
	char **w = raw;
	for (int i = 0; i < 3; i++) {
		char want[9];
		snprintf(want, sizeof(want), "slot%d", i);
		CHECK(slots[i]->hash == 100u + i && slots[i]->sum == 7u * i);
		CHECK(slots[i]->seq == 1000L + i && !strcmp(slots[i]->name, want));
	}
	CHECK(w[0] == (char *)&slots[0]->sum + 1);
	CHECK(w[1] == slots[0]->name + 4 && *w[1] == '0');
	CHECK(w[2] == slots[0]->name + 9);
	CHECK(w[3] == (char *)(slots[1] + 1));
	CHECK(w[4] == (char *)(slots[2] + 1));
	CHECK(w[5] == (char *)&slots[1]->seq + 3);
	CHECK(w[6] == (char *)0x4242);
	CHECK(w[7] == (char *)&slots[2]->seq);
	XT_V2_RESULT();
}
