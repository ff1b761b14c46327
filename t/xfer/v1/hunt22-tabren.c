/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A static command table (names, handlers, call counters) renamed at run
 * time: STATS's name points to a string of the heap (Redis's
 * rename-command; t/idioms/tagcmd's RENAME).  Version 2 (V2) inserts
 * APPEND in the middle of the table.  With TWO_RENAMED (hunt22-tabren2)
 * GET and DEL, whose handler is one function, are both renamed. */
#include "xt.h"

typedef int handler(int);

static int do_set(int n) { return n + 1; }
static int do_read(int n) { return n + 2; }
static int do_stats(int n) { return n + 4; }
#ifdef V2
static int do_append(int n) { return n + 5; }
#define NEW 1   /* entries before DEL's that version 2 inserted */
#else
#define NEW 0
#endif

struct command {
	const char *name;
	handler *fn;
	unsigned long calls;
};

static struct command commands[] = {
	{ "SET", do_set, 0 },
	{ "GET", do_read, 0 },
#ifdef V2
	{ "APPEND", do_append, 0 },
#endif
	{ "DEL", do_read, 0 },
	{ "STATS", do_stats, 0 },
	{ NULL, NULL, 0 },
};

/* the same in both versions (a fresh start renames the same) */
static __attribute__((noinline)) void init(void)
{
	for (size_t i = 0; commands[i].name; i++)
		commands[i].calls = 10 * (i + 1);   /* SET 10, GET 20, DEL 30, STATS 40 in 1 */
	commands[3 + NEW].name = strdup("INFO");
#ifdef TWO_RENAMED
	commands[1].name = strdup("FETCH");
	commands[2 + NEW].name = strdup("REMOVE");
#endif
}

#ifdef V2
int main(void)
{
	XT_V2_RECEIVE(init);
	CHECK(!strcmp(commands[0].name, "SET") && commands[0].fn == do_set && commands[0].calls == 10);
	CHECK(!strcmp(commands[2].name, "APPEND") && commands[2].fn == do_append && commands[2].calls == 0);
	CHECK(!strcmp(commands[4].name, "INFO") && commands[4].fn == do_stats && commands[4].calls == 40);
	CHECK(commands[5].name == NULL);
#ifdef TWO_RENAMED
	CHECK(!strcmp(commands[1].name, "FETCH") && commands[1].fn == do_read && commands[1].calls == 20);
	CHECK(!strcmp(commands[3].name, "REMOVE") && commands[3].fn == do_read && commands[3].calls == 30);
#else
	CHECK(!strcmp(commands[1].name, "GET") && commands[1].fn == do_read && commands[1].calls == 20);
	CHECK(!strcmp(commands[3].name, "DEL") && commands[3].fn == do_read && commands[3].calls == 30);
#endif
	XT_V2_RESULT();
}
#else
int main(void)
{
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
#endif
