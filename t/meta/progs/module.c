/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Static functions of a server module as GCC leaves them for DWARF: twins
 * merged by identical code folding (hooks that all decline), a function
 * inlined into its caller that also has an out-of-line copy (DWARF: an
 * abstract instance and a concrete one by DW_AT_abstract_origin), one
 * cloned by constant propagation, and a static inline of a header. */
#include <stdio.h>
#include "module.h"

typedef int (*hook_fn)(void *request, int phase);

static int fixups_hook(void *request, int phase)
{
	(void)request;
	return phase > 3 ? -1 : phase * 7 + 2;
}

static int logger_hook(void *request, int phase)
{
	(void)request;
	return phase > 3 ? -1 : phase * 7 + 2;
}

static void *merge_dir_config(void *pool, void *base, void *add)
{
	(void)base;
	(void)add;
	return pool;
}

static void *merge_server_config(void *pool, void *base, void *add)
{
	(void)base;
	(void)add;
	return pool;
}

static int quick_handler(int x)
{
	return x + 7;
}

static int scan(int n, int step)
{
	volatile int sum = 0;
	for (int i = 0; i < n; i++)
		sum += i * step;
	if (n > 1000)
		puts("long scan");
	return sum;
}

static void register_hooks(void *pool)
{
	printf("hooks %p\n", pool);
}

struct module {
	const char *name;
	void (*register_hooks)(void *);
	hook_fn hooks[2];
	void *(*merge[2])(void *, void *, void *);
	int (*handlers[3])(int);
};

struct module example_module = {
	"example", register_hooks, { fixups_hook, logger_hook },
	{ merge_dir_config, merge_server_config },
	{ quick_handler, module_default_port, 0 },
};

int module_run(int x)
{
	example_module.handlers[2] = x > 100 ? (int (*)(int))0 : quick_handler;
	return quick_handler(x) + module_default_port(x) + scan(x, 3) + scan(x + 1, 3);
}
