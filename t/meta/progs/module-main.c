/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The program around module.c; built with or without -g. */
#include <stdio.h>

int module_run(int x);

static int main_helper(int x)
{
	return x * 2;
}

int (*main_helper_ptr)(int) = main_helper;

int main(int argc, char **argv)
{
	(void)argv;
	printf("%d\n", module_run(argc) + main_helper_ptr(argc));
	return 0;
}
