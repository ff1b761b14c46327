/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A program that sets a variable at run time: setenv makes the C
 * library grow its own copy of the environment array (a block of the C
 * library's heap), and `environ` points to it.  That array is the C
 * runtime's, not the program's: the new version keeps its own `environ`
 * (the exec vector its startup left), which the update must not change
 * into a pointer to the old process's memory.
 */
#include "xt.h"

extern char **environ;

static char **exec_environ; /* the exec vector, before setenv */

static __attribute__((noinline)) void init(void)
{
	exec_environ = environ;
	setenv("REAL12_SET", "one", 1);
}

int main(void)
{
	init();
	XT_V1_LOOP();
}
