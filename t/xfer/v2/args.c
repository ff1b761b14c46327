/* SPDX-License-Identifier: GPL-3.0-or-later */
/* See v1/args.c: the pointers received lead into this process's own
 * command line and environment. */
#include "xt.h"

struct conf {
	const char *name;
	int port;
};

static const char *docroot;
static char **saved_argv;
static const char *path_value;
static struct conf *conf;

static __attribute__((noinline)) void init(int argc, char **argv)
{
	docroot = argv[1] + 1;
	saved_argv = argv;
	path_value = getenv("PATH");
	conf = malloc(sizeof(*conf));
	conf->name = argv[argc - 1];
	conf->port = 8080;
}

static int own_argc;
static char **own_argv;

static void init_own(void)
{
	init(own_argc, own_argv);
}

int main(int argc, char **argv)
{
	own_argc = argc;
	own_argv = argv;
	XT_V2_RECEIVE(init_own);
	CHECK(argv == own_argv);
	CHECK(argc >= 2 && docroot == argv[1] + 1);
	CHECK(saved_argv == argv);
	CHECK(path_value != NULL && path_value == getenv("PATH"));
	CHECK(conf != NULL && conf->name == argv[argc - 1] && conf->port == 8080);
	XT_V2_RESULT();
}
