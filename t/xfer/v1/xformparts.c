/* SPDX-License-Identifier: GPL-3.0-or-later */
/* 100,000 heap objects whose pointers reach the heap, statics, string
 * literals, functions of the program and of libc: enough for the
 * transform to be cut in parts run at once (see xformparts.sh). */
#include "xt.h"

struct item {
	int val;
	struct item *next;
	const char *name;
	int (*fn)(int);
	long *slot;
	void *(*alloc)(size_t);
};

static struct item *head;
static long slots[16];

static int twice(int v) { return 2 * v; }
static int thrice(int v) { return 3 * v; }

static __attribute__((noinline)) void init(void)
{
	for (int i = 0; i < 100000; i++) {
		struct item *it = malloc(sizeof(*it));
		memset(it, 0, sizeof(*it));
		it->val = i;
		it->next = head;
		it->name = i % 3 == 0 ? "alpha" : i % 3 == 1 ? "beta" : "gamma";
		it->fn = i % 2 ? twice : thrice;
		it->slot = &slots[i % 16];
		/* a libc function: looked up by symbol, in the serial loop */
		it->alloc = i % 1000 == 0 ? malloc : NULL;
		head = it;
	}
}

int main(void)
{
	init();
	XT_V1_LOOP();
}
