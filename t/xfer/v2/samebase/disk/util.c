/* SPDX-License-Identifier: GPL-3.0-or-later */
/* disk/util.c: a file whose name another file of the program has too. */
#include <stdlib.h>
#include <string.h>

static int count;
static char *name;
static int *last = &count;

void disk_set(int n, const char *s)
{
	count = n;
	name = strdup(s);
	last = &count;
}

int disk_check(int n, const char *s)
{
	return count == n && name && !strcmp(name, s) && last == &count;
}
