/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unions whose members are all function pointers (libevent's
 * evcb_cb_union) hold one function pointer: relocated by function ID, in
 * heap objects whose type changes too.  argv[1] "data" stores the address
 * of a static in one: no function but stale bytes (data is not
 * executable), kept pointing at that static; --strict refuses it. */
#include "xt.h"

union callback {
	void (*on_event)(int);
	int (*on_value)(int, int);
};

struct handler {
	int id;
	union callback cb;
};

static int hits;

static void bump(int n) { hits += n; }
static int add(int a, int b) { return a + b; }

static struct handler *handlers;
static union callback spare;

static __attribute__((noinline)) void init(const char *what)
{
	handlers = malloc(3 * sizeof(*handlers));
	handlers[0].id = 1;
	handlers[0].cb.on_event = bump;
	handlers[1].id = 2;
	handlers[1].cb.on_value = add;
	handlers[2].id = 3;
	handlers[2].cb.on_event = NULL;
	spare.on_value = add;
	if (!strcmp(what, "data"))
		handlers[2].cb.on_event = (void (*)(int))(void *)&hits;
}

int main(int argc, char **argv)
{
	if (!stf_is_updating())
		init(argc > 1 ? argv[1] : "functions");
	XT_V1_LOOP();
}
