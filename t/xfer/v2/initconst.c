/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2: the table gains an entry, so its length's initializer is 4;
 * the limit's is 200, the counter's 2, the mode's MODE_C; the limit
 * version 1 raised at run time is 200 by default. */
#include "xt.h"

struct command {
	const char *name;
	unsigned long calls;
};

static struct command commands[] = {
	{ "SET", 0 },
	{ "GET", 0 },
	{ "DEL", 0 },
	{ "APPEND", 0 },
};
static size_t ncommands = sizeof commands / sizeof commands[0];
static int max_clients = 200;
static int generation = 2;
static int limit = 200;
static long same_init = 5;
enum mode { MODE_A, MODE_B, MODE_C };
volatile unsigned long sink;  /* -O2: the loop reads every static */
static enum mode mode = MODE_C;

static __attribute__((noinline)) void init(void)
{
	for (size_t i = 0; i < ncommands; i++)
		commands[i].calls = 10 * (i + 1);
	generation = 7;
	same_init = 6;
	limit = 200;
}

int main(void)
{
	XT_V2_RECEIVE(init);
	CHECK(ncommands == 4);           /* the new build's constant */
	CHECK(max_clients == 200);
	CHECK(mode == MODE_C);
	CHECK(generation == 7);          /* state the old version computed */
	CHECK(same_init == 6);
	CHECK(limit == 200);            /* moved, equal to the new default */
	CHECK(commands[0].calls == 10 && commands[2].calls == 30);
	CHECK(commands[3].calls == 0 && !strcmp(commands[3].name, "APPEND"));
	XT_V2_RESULT();
}
