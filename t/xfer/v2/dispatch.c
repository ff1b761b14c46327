/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2: new handlers defined before the old ones (every function
 * moves), the command struct gains a help text and reorders, the table
 * grows by one slot. */
#include "xt.h"

typedef int (*handler_fn)(int);

static int cmd_stat(int a) { return a * 100; }
static int cmd_list(int a) { return a - 100; }
static int cmd_get(int a) { return a + 1; }
static int cmd_set(int a) { return a * 2; }
static int cmd_del(int a) { return -a; }

struct command {
	handler_fn fn;
	const char *help;
	unsigned long flags;
	const char *name;
};

struct ops {
	FILE *log;
	int (*close)(int);
	int (*open)(int);
	int (*flush)(int);
};

static struct command commands[] = {
	{ cmd_get, NULL, 1, "get" },
	{ cmd_set, NULL, 2, "set" },
	{ cmd_del, NULL, 4, "del" },
	{ NULL, NULL, 0, NULL },
	{ NULL, NULL, 0, NULL },
};
static struct command *current;
static handler_fn fallback;
static struct ops *ops;
static FILE *errs;
static handler_fn history[4];

static __attribute__((noinline)) void init(void)
{
	current = &commands[1];
	fallback = cmd_del;
	ops = malloc(sizeof(*ops));
	ops->open = cmd_get;
	ops->close = NULL;
	ops->log = stdout;
	errs = stderr;
	history[0] = cmd_set;
	history[2] = cmd_get;
	commands[2].flags |= 8;
}

int main(void)
{
	XT_V2_RECEIVE(init);
	CHECK(commands[0].fn == cmd_get && commands[1].fn == cmd_set && commands[2].fn == cmd_del);
	CHECK(!strcmp(commands[0].name, "get") && !strcmp(commands[2].name, "del"));
	CHECK(commands[0].flags == 1 && commands[1].flags == 2 && commands[2].flags == 12);
	CHECK(!commands[3].fn && !commands[3].name && !commands[4].fn);
	CHECK(current == &commands[1] && current->fn(21) == 42);
	CHECK(fallback == cmd_del && fallback(5) == -5);
	CHECK(ops && ops->open == cmd_get && !ops->close && !ops->flush && ops->log == stdout);
	CHECK(errs == stderr);
	CHECK(history[0] == cmd_set && !history[1] && history[2] == cmd_get && !history[3]);
	CHECK(cmd_stat(1) == 100 && cmd_list(100) == 0);
	XT_V2_RESULT();
}
