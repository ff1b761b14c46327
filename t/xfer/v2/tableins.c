/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2: APPEND inserted in the middle of the table, STATS moved to
 * its front, a member added to struct command. */
#include "xt.h"

typedef int handler(int);

static int do_set(int n) { return n + 1; }
static int do_get(int n) { return n + 2; }
static int do_append(int n) { return n + 5; }
static int do_del(int n) { return n + 3; }
static int do_stats(int n) { return n + 4; }

struct command {
	const char *name;
	unsigned flags;
	handler *fn;
	unsigned long calls;
};

static struct command commands[] = {
	{ "STATS", 0, do_stats, 0 },
	{ "SET", 1, do_set, 0 },
	{ "GET", 0, do_get, 0 },
	{ "APPEND", 1, do_append, 0 },
	{ "DEL", 1, do_del, 0 },
	{ NULL, 0, NULL, 0 },
};

static __attribute__((noinline)) void init(void)
{
	for (size_t i = 0; commands[i].name; i++)
		commands[i].calls = 10 * (i + 1);
}

static const struct command *find(const char *name)
{
	for (size_t i = 0; commands[i].name; i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

int main(void)
{
	XT_V2_RECEIVE(init);
	const struct command *set = find("SET"), *get = find("GET"), *del = find("DEL"),
			     *stats = find("STATS"), *app = find("APPEND");
	CHECK(set && set->fn == do_set && set->calls == 10 && set->flags == 1);
	CHECK(get && get->fn == do_get && get->calls == 20 && get->flags == 0);
	CHECK(del && del->fn == do_del && del->calls == 30 && del->flags == 1);
	CHECK(stats && stats->fn == do_stats && stats->calls == 40);
	CHECK(app && app->fn == do_append && app->calls == 0 && app->flags == 1);
	XT_V2_RESULT();
}
