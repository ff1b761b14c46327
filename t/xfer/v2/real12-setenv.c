/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Version 2 of real12-setenv.c: `environ` is this process's own exec
 * vector, as its startup (which sets nothing) left it, and getenv works.
 */
#include "xt.h"

extern char **environ;

static char **exec_environ;

static void init(void)
{
}

int main(int argc, char **argv, char **envp)
{
	(void)argc;
	(void)argv;
	XT_V2_RECEIVE(init);
	CHECK(exec_environ == envp);
	CHECK(environ == envp);
	CHECK(getenv("PATH") != NULL);
	CHECK(getenv("REAL12_SET") == NULL);
	XT_V2_RESULT();
}
