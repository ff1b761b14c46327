/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unit 1: holds the opaque table through a pointer only. */
#include <stdio.h>
#include <string.h>
#include "opaque.h"

struct table *the_table;

int main(int argc, char **argv)
{
	the_table = table_new(4);
	if (argc > 1 && !strcmp(argv[1], "layout")) {
		table_print_layout();
		return 0;
	}
	return table_put(the_table, 3) != 1;
}
