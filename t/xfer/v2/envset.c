/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Version 2 of envset.c: started with the environment the old version
 * started with (not the one it kept), so the pointer to the end of its
 * environment strings ends one of this process's own.
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

int main(void)
{
	XT_V2_RECEIVE(init);
	CHECK(env_end && *env_end == '\0');
	int ends_a_string = 0;
	for (char **e = environ; *e; e++)
		ends_a_string |= env_end == *e + strlen(*e);
	CHECK(ends_a_string);
	CHECK(getenv("ENVSET_OWN") == NULL); /* not the old version's choice */
	XT_V2_RESULT();
}
