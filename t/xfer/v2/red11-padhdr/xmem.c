/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A size-prefixing wrapper (t/idioms/jobd's xmem): malloc(n + 8), the size
 * in the first word, the caller given the rest. */
#include <stdlib.h>
#include <stf.h>

STF_ALLOCATOR void *xmalloc(size_t n);
void xfree(void *p);

void *xmalloc(size_t n)
{
	size_t *h = malloc(n + sizeof *h);
	*h = n;
	return h + 1;
}

void xfree(void *p)
{
	free((size_t *)p - 1);
}
