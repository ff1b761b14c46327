/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The generic constructor of ../hunt20-cbwrap.c in a unit of its own:
 * main.c calls it knowing nothing of it, so its callers' sites there
 * cannot type what it hands out. */
#include <stdlib.h>
#include <string.h>
#include <stf.h>

STF_ALLOCATOR void *xmalloc(size_t n);
void *obj_new(size_t size, int kind);

void *xmalloc(size_t n)
{
	char *p = malloc(n + 16);
	*(size_t *)p = n;
	return p + 16;
}

void *obj_new(size_t size, int kind)
{
	void *o = xmalloc(size);
	memset(o, 0, size);
	*(int *)o = kind;
	return o;
}
