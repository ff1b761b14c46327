/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A static command table (names, handlers, call counters) renamed at run
 * time: STATS's name points to a string of the heap (Redis's
 * rename-command; t/idioms/tagcmd's RENAME).  Version 2 inserts APPEND in
 * the middle of the table.  With TWO_RENAMED (hunt22-tabren2) GET and
 * DEL, whose handler is one function, are both renamed. */
#include "xt.h"

typedef int handler(int);

static int do_set(int n) { return n + 1; }
static int do_read(int n) { return n + 2; }
static int do_stats(int n) { return n + 4; }

struct command {
	const char *name;
	handler *fn;
	unsigned long calls;
};

static struct command commands[] = {
	{ "SET", do_set, 0 },
	{ "GET", do_read, 0 },
	{ "DEL", do_read, 0 },
	{ "STATS", do_stats, 0 },
	{ NULL, NULL, 0 },
};

static __attribute__((noinline)) void init(void)
{
	for (size_t i = 0; commands[i].name; i++)
		commands[i].calls = 10 * (i + 1);   /* SET 10, GET 20, DEL 30, STATS 40 */
	commands[3].name = strdup("INFO");
#ifdef TWO_RENAMED
	commands[1].name = strdup("FETCH");
	commands[2].name = strdup("REMOVE");
#endif
}

int main(void)
{
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
