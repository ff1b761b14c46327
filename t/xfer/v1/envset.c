/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A program that keeps a pointer to where its environment strings end
 * (nginx's ngx_os_argv_last, the end of the area a process title may
 * take), then keeps only the variables it wants: `environ` replaced by an
 * array of its own (nginx's ngx_set_environment, which keeps only those
 * its `env` directives name).
 */
#include "xt.h"

extern char **environ;

static char *env_end;        /* the NUL ending the last environment string */
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
	init();
	XT_V1_LOOP();
}
