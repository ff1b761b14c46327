/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Version 2 of envset.c: started with the environment the old version
 * started with (not the one it kept), so the pointer to the end of its
 * environment strings ends one of this process's own (its exec vector,
 * envp); `environ` is the array the old version made its own (a static
 * of the program: its counterpart here), as the C runtime's variable is
 * carried.
 */
#include "xt.h"

extern char **environ;

static char *env_end;
static char *own_env[] = { "ENVSET_OWN=1", NULL };

static __attribute__((noinline)) void init(void)
{
	char **e = environ;

	while (*e)
		e++;
	if (e > environ)
		env_end = e[-1] + strlen(e[-1]);
	environ = own_env;
}

int main(int argc, char **argv, char **envp)
{
	(void)argc;
	(void)argv;
	XT_V2_RECEIVE(init);
	CHECK(env_end && *env_end == '\0');
	int ends_a_string = 0;
	for (char **e = envp; *e; e++)
		ends_a_string |= env_end == *e + strlen(*e);
	CHECK(ends_a_string);
	CHECK(environ == own_env); /* the old version's choice */
	CHECK(getenv("ENVSET_OWN") && !strcmp(getenv("ENVSET_OWN"), "1"));
	XT_V2_RESULT();
}
