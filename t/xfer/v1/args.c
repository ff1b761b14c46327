/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Pointers into the command line and the environment (main's stack):
 * statics, a heap object and main's argv local keep pointing to the same
 * argument or variable, at the same offset, in the new process. */
#include "xt.h"

struct conf {
	const char *name;
	int port;
};

static const char *docroot;    /* inside argv[1] */
static char **saved_argv;      /* the argv array */
static const char *path_value; /* getenv("PATH") */
static struct conf *conf;      /* its name is the last argument */

static __attribute__((noinline)) void init(int argc, char **argv)
{
	docroot = argv[1] + 1;
	saved_argv = argv;
	path_value = getenv("PATH");
	conf = malloc(sizeof(*conf));
	conf->name = argv[argc - 1];
	conf->port = 8080;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: args DOCROOT NAME\n");
		return 2;
	}
	if (!stf_is_updating())
		init(argc, argv);
	XT_V1_LOOP();
}
