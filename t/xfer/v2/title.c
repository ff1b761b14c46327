/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Version 2 of title.c: the title area's pointers lead into this
 * process's own command line and environment, at the same places (its
 * start, and the end of the program's own environment strings, those of
 * its exec vector envp); `environ` is the old version's heap copy of the
 * environment, carried.
 */
#include "xt.h"

extern char **environ;

static char *title_start, *title_end;
static char **saved_argv;
static char **heap_env;

static __attribute__((noinline)) void init(int argc, char **argv)
{
	size_t n;
	char *last = argv[0];

	for (int i = 0; i < argc; i++)
		if (last == argv[i])
			last = argv[i] + strlen(argv[i]) + 1;
	for (n = 0; environ[n]; n++)
		;
	heap_env = malloc((n + 1) * sizeof(*heap_env));
	for (size_t i = 0; i < n; i++) {
		if (last == environ[i])
			last = environ[i] + strlen(environ[i]) + 1;
		heap_env[i] = strdup(environ[i]);
	}
	heap_env[n] = NULL;
	environ = heap_env;
	title_start = argv[0];
	title_end = last;
	saved_argv = argv;
	argv[1] = NULL;
	memset(title_start, 0, (size_t)(title_end - title_start));
	snprintf(title_start, (size_t)(title_end - title_start), "title: master process %d",
		 (int)getpid());
}

static int own_argc;
static char **own_argv;

static void init_own(void)
{
	init(own_argc, own_argv);
}

int main(int argc, char **argv, char **envp)
{
	own_argc = argc;
	own_argv = argv;
	XT_V2_RECEIVE(init_own);
	CHECK(title_start == argv[0]);
	CHECK(saved_argv == argv);
	/* the old version's environment strings were its own up to libstf's
	 * variables, which come last: the area's end falls on the end of one
	 * of this process's environment strings */
	CHECK(title_end > argv[argc - 1]);
	CHECK(title_end[-1] == '\0');
	int ends_a_string = 0;
	for (char **e = envp; *e; e++)
		ends_a_string |= title_end == *e + strlen(*e) + 1;
	CHECK(ends_a_string);
	CHECK(heap_env && heap_env[0] && strchr(heap_env[0], '='));
	CHECK(environ == heap_env);
	/* set the title over its own area, as the program would */
	memset(title_start, 0, (size_t)(title_end - title_start));
	snprintf(title_start, (size_t)(title_end - title_start), "title: updated");
	XT_V2_RESULT();
}
