/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "stf-meta.h"
int cmd_diff(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "stf-meta: diff: not implemented yet\n");
	return EXIT_USAGE;
}
