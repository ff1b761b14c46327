/* SPDX-License-Identifier: GPL-3.0-or-later */
/* red10-tablit with the literal's text unchanged ("kv"), and the entry
 * version 2 inserts before VERSION has a literal argument of its own
 * ("append") at VERSION's old place: VERSION's argument must stay "kv",
 * not become the literal now at its old index. */
#include "xt.h"

struct store {
	long keys;
};

static struct store store = { 12 };

typedef long handler_fn(void *arg);

static long h_get(void *arg) { return ((struct store *)arg)->keys; }
static long h_set(void *arg) { return ++((struct store *)arg)->keys; }
static long h_append(void *arg) { return (long)strlen(arg); }
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
	{ "APPEND", h_append, "append", 0 },
	{ "VERSION", h_version, "kv", 0 },
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
	XT_V2_RECEIVE(init);
	CHECK(!strcmp(handlers[3].name, "VERSION") && handlers[3].fn == h_version);
	CHECK(!strcmp(handlers[3].arg, "kv") && handlers[3].calls == 3);
	CHECK(handlers[2].calls == 0 && handlers[1].calls == 2 && store.keys == 14);
	XT_V2_RESULT();
}
