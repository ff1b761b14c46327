/* SPDX-License-Identifier: GPL-3.0-or-later */
/* xmem - see xmem.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xmem.h"

size_t xused;

static void *oom(size_t n)
{
	fprintf(stderr, "jobd: out of memory (%zu bytes)\n", n);
	abort();
}

void *xmalloc(size_t n)
{
	size_t *h = malloc(n + sizeof *h);
	if (!h)
		return oom(n);
	*h = n;
	xused += n;
	return h + 1;
}

void *xrealloc(void *p, size_t n)
{
	size_t *h;
	if (!p)
		return xmalloc(n);
	h = (size_t *)p - 1;
	xused -= *h;
	h = realloc(h, n + sizeof *h);
	if (!h)
		return oom(n);
	*h = n;
	xused += n;
	return h + 1;
}

char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	return memcpy(xmalloc(n), s, n);
}

void xfree(void *p)
{
	if (!p)
		return;
	xused -= xsize(p);
	free((size_t *)p - 1);
}

size_t xsize(const void *p)
{
	return ((const size_t *)p)[-1];
}
