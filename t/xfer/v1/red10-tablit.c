/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A mutable command table whose entries carry a `void *` argument: the
 * store, or a string literal whose text is the release's ("kv 1", then
 * "kv 2").  Version 2 inserts APPEND in the middle, before VERSION: the
 * table pairs by names and handlers (VERSION's entry moves from [2] to
 * [3]), and VERSION's argument must become version 2's literal, as it
 * does when no entry moves, and its call count carry over. */
#include "xt.h"

struct store {
	long keys;
};

static struct store store = { 12 };

typedef long handler_fn(void *arg);

static long h_get(void *arg) { return ((struct store *)arg)->keys; }
static long h_set(void *arg) { return ++((struct store *)arg)->keys; }
static long h_version(void *arg) { return (long)strlen(arg); }

struct handler {
	const char *name;
	handler_fn *fn;
	void *arg;
	unsigned long calls;
};

static struct handler handlers[] = {
	{ "GET", h_get, &store, 0 },
	{ "SET", h_set, &store, 0 },
	{ "VERSION", h_version, "kv 1", 0 },
};

static __attribute__((noinline)) void init(void)
{
	for (size_t i = 0; i < sizeof handlers / sizeof handlers[0]; i++)
		for (size_t k = 0; k <= i; k++) {
			handlers[i].fn(handlers[i].arg);
			handlers[i].calls++;
		}
}

int main(void)
{
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
