/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Statics whose initializers version 2 changes: a table length computed
 * from the table, a limit, and a counter the program moved. */
#include "xt.h"

struct command {
	const char *name;
	unsigned long calls;
};

static struct command commands[] = {
	{ "SET", 0 },
	{ "GET", 0 },
	{ "DEL", 0 },
};
static size_t ncommands = sizeof commands / sizeof commands[0];
static int max_clients = 100;   /* never changed: the build's constant */
static int generation = 1;      /* moved by the program: state */
static int limit = 100;         /* raised at run time to version 2's default */
static long same_init = 5;      /* the same initializer in both */
enum mode { MODE_A, MODE_B, MODE_C };
volatile unsigned long sink;  /* -O2: the loop reads every static */
static enum mode mode = MODE_B;

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
	if (!stf_is_updating())
		init();
	for (;;) {
		stf_update_point();
		sink = ncommands + (unsigned long)max_clients + (unsigned long)generation +
		       (unsigned long)same_init + mode + commands[1].calls + (unsigned long)limit;
		usleep(2000);
	}
}
