/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2: APPEND inserted in the middle of the table. */
#include "xt.h"

typedef int handler(int);

static int do_set(int n) { return n + 1; }
static int do_read(int n) { return n + 2; }
static int do_append(int n) { return n + 5; }
static int do_stats(int n) { return n + 4; }

struct command {
	const char *name;
	handler *fn;
	unsigned long calls;
};

static struct command commands[] = {
	{ "SET", do_set, 0 },
	{ "GET", do_read, 0 },
	{ "APPEND", do_append, 0 },
	{ "DEL", do_read, 0 },
	{ "STATS", do_stats, 0 },
	{ NULL, NULL, 0 },
};

/* as version 1's (renaming what a fresh start renames) */
static __attribute__((noinline)) void init(void)
{
	for (size_t i = 0; commands[i].name; i++)
		commands[i].calls = 10 * (i + 1);
	commands[4].name = strdup("INFO");
#ifdef TWO_RENAMED
	commands[1].name = strdup("FETCH");
	commands[3].name = strdup("REMOVE");
#endif
}

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
