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

static __attribute__((noinline)) long serve(void)
{
	long sum = 0;
	for (struct command *c = commands; c->name; c++)
		sum += c->fn(c->flags) + (long)strlen(c->name);
	for (int i = 0; i < 4; i++)
		sum += history[i] ? history[i](i) : 0;
	fflush(ops->log);
	fflush(errs);
	return sum + current->fn(1) + fallback(2) + ops->open(3) + (ops->close ? 1 : 0);
}

int main(void)
{
	if (!stf_is_updating())
		init();
	long want = stf_is_updating() ? 0 : serve();
	for (;;) {
		stf_update_point();
		if (want && serve() != want)
			abort();
		usleep(2000);
	}
}
