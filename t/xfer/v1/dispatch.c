/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Command dispatch: a table of {name, handler} structs, a heap-allocated
 * ops vector, a pointer into the table, stdout/stderr held in state. */
#include "xt.h"

typedef int (*handler_fn)(int);

static int cmd_get(int a) { return a + 1; }
static int cmd_set(int a) { return a * 2; }
static int cmd_del(int a) { return -a; }

struct command {
	const char *name;
	handler_fn fn;
	int flags;
};

struct ops {
	int (*open)(int);
	int (*close)(int);
	FILE *log;
};

static struct command commands[] = {
	{ "get", cmd_get, 1 },
	{ "set", cmd_set, 2 },
	{ "del", cmd_del, 4 },
	{ NULL, NULL, 0 },
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
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
