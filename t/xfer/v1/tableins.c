/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A static command table (names, handlers, call counters); version 2
 * inserts an entry in its middle and moves another.  NULL-terminated. */
#include "xt.h"

typedef int handler(int);

static int do_set(int n) { return n + 1; }
static int do_get(int n) { return n + 2; }
static int do_del(int n) { return n + 3; }
static int do_stats(int n) { return n + 4; }

struct command {
	const char *name;
	handler *fn;
	unsigned long calls;
};

static struct command commands[] = {
	{ "SET", do_set, 0 },
	{ "GET", do_get, 0 },
	{ "DEL", do_del, 0 },
	{ "STATS", do_stats, 0 },
	{ NULL, NULL, 0 },
};

static __attribute__((noinline)) void init(void)
{
	for (size_t i = 0; commands[i].name; i++)
		commands[i].calls = 10 * (i + 1);   /* SET 10, GET 20, DEL 30, STATS 40 */
}

int main(void)
{
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
