/* SPDX-License-Identifier: GPL-3.0-or-later */
/* See v1/funcunion.c; struct handler gains a member before the union. */
#include "xt.h"

union callback {
	void (*on_event)(int);
	int (*on_value)(int, int);
};

struct handler {
	int id;
	long calls;
	union callback cb;
};

static int hits;

static void bump(int n) { hits += n; }
static int add(int a, int b) { return a + b; }

static struct handler *handlers;
static union callback spare;

static __attribute__((noinline)) void init(void)
{
	handlers = malloc(3 * sizeof(*handlers));
	handlers[0].cb.on_event = bump;
	handlers[1].cb.on_value = add;
	handlers[2].cb.on_event = NULL;
	spare.on_value = add;
}

int main(int argc, char **argv)
{
	XT_V2_RECEIVE(init);
	CHECK(handlers[0].id == 1 && handlers[0].cb.on_event == bump);
	CHECK(handlers[1].id == 2 && handlers[1].cb.on_value == add);
	CHECK(handlers[2].id == 3);
	if (argc > 1 && !strcmp(argv[1], "data")) /* stale bytes, kept pointing there */
		CHECK((void *)handlers[2].cb.on_event == (void *)&hits);
	else
		CHECK(handlers[2].cb.on_event == NULL);
	CHECK(spare.on_value == add);
	if (handlers[0].cb.on_event == bump)
		handlers[0].cb.on_event(2);
	CHECK(hits == 2 && handlers[1].cb.on_value(2, 3) == 5);
	XT_V2_RESULT();
}
