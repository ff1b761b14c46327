/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A program that made `environ` a static array of its own, which the new
 * version no longer has: the C runtime's variable cannot be carried, so
 * the update rolls back naming it, instead of leaving the new version
 * with an environment the program did not choose.
 */
#include "xt.h"

extern char **environ;

static char *gone_env[] = { "REAL12_GONE=1", NULL };

static __attribute__((noinline)) void init(void)
{
	environ = gone_env;
}

int main(void)
{
	init();
	XT_V1_LOOP();
}
