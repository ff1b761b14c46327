/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Static objects of every kind.  Uses malloc but not libstf: a program
 * built with the plugin must link and run without libstf. */
#include <stdio.h>
#include <stdlib.h>
#include "stf.h"

int global_counter = 1;
static int file_static = 2;
const char *greeting = "hello, objects";
/* Literals held by a static table, and one code stores into state. */
struct command {
	const char *name;
	int args;
} commands[] = { { "get", 1 }, { "set", 2 } };
const char *status;
__thread int tls_v;
int ixfer_v STF_IXFER;
long pxfer_v STF_PXFER;
const int limits[3] = { 11, 22, 33 };

static int helper(int x)
{
	return x + file_static;
}

int (*ops[2])(int) = { helper, 0 };

int bump(void)
{
	static int calls;
	return ++calls;
}

int other(void)
{
	static int calls = 5;
	return calls++;
}

int main(int argc, char **argv)
{
	file_static += argc;
	tls_v = argc;
	char *copy = malloc(16);
	if (!copy)
		return 1;
	/* only copied: never in the state, no record */
	snprintf(copy, 16, "%s", argv[0] ? "code literal" : "");
	status = argc > 5 ? "busy" : "serving";
	puts(copy);
	free(copy);
	return (ops[0](1) + bump() + other() + limits[argc % 3] + tls_v +
		commands[argc % 2].args + (status[0] == 'x')) < 0;
}
