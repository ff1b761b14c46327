/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The classic setproctitle: the environment moved to the heap, the title
 * written over argv[0] and on over the environment strings, the rest
 * zeroed, argv[1] set to NULL.  The program keeps the title area's start
 * and end, the argv array and its heap environment.
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

int main(int argc, char **argv)
{
	init(argc, argv);
	XT_V1_LOOP();
}
