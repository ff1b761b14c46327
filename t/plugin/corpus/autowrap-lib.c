/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Exported allocator wrappers, none annotated STF_ALLOCATOR. */
#include <stdlib.h>
#include <string.h>
#include "autowrap.h"

void lib_free(void *p)
{
	free(p);
}

void *lib_alloc(size_t n)
{
	void *p = malloc(n);
	if (!p)
		abort();
	return p;
}

char *lib_name(const char *s)
{
	char *p = strdup(s);
	if (!p)
		abort();
	return p;
}

void *lib_zalloc(size_t n)
{
	void *p = calloc(1, n);
	if (p == NULL)
		abort();
	return p;
}

struct item *lib_items(void)
{
	struct item *it = lib_zalloc(sizeof *it);
	it->id = 7;
	return it;
}
