/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of xformparts whose val no longer holds the values from 32768
 * on: the transform meets problems all over the heap, which the parts leave
 * to the serial loop to report in order (see xformparts.sh). */
#include "xt.h"

struct item {
	struct item *next;
	short val;
	long *slot;
	int added;
	void *(*alloc)(size_t);
	int (*fn)(int);
	const char *name;
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
		it->alloc = i % 1000 == 0 ? malloc : NULL;
		head = it;
	}
}

int main(void)
{
	XT_V2_RECEIVE(init);
	long n = 100000;
	for (const struct item *it = head; it; it = it->next) {
		long i = --n;
		CHECK(it->val == i);
		CHECK(!strcmp(it->name, i % 3 == 0 ? "alpha" : i % 3 == 1 ? "beta" : "gamma"));
		CHECK(it->fn == (i % 2 ? twice : thrice) && it->fn(7) == (i % 2 ? 14 : 21));
		CHECK(it->slot == &slots[i % 16]);
		CHECK(it->alloc == (i % 1000 == 0 ? malloc : NULL));
		CHECK(it->added == 0);
		if (xt_fails)
			break;
	}
	CHECK(n == 0);
	XT_V2_RESULT();
}
