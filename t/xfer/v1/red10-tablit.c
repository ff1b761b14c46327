/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A mutable command table whose entries carry a `void *` argument: the
 * store, or a string literal whose text is the release's ("kv 1", then
 * "kv 2").  Version 2 inserts APPEND in the middle, before VERSION: the
 * table pairs by names and handlers (VERSION's entry moves from [2] to
 * [3]; its flags text "r" is GET's too), and VERSION's argument must
 * become version 2's literal, as it does when no entry moves, and its
 * call count carry over.  With SAME_TEXT (red10-tablit2) the text stays
 * "kv" and APPEND's argument is a literal of its own ("append"), at
 * VERSION's old index: VERSION's argument must keep its text. */
#include "xt.h"

#ifdef SAME_TEXT
#define VERSION_TEXT "kv"
#else
#define VERSION_TEXT "kv 1"
#endif

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
	const char *flags; /* shared by several entries */
	handler_fn *fn;
	void *arg;
	unsigned long calls;
};

static struct handler handlers[] = {
	{ "GET", "r", h_get, &store, 0 },
	{ "SET", "w", h_set, &store, 0 },
	{ "VERSION", "r", h_version, VERSION_TEXT, 0 },
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
