/* SPDX-License-Identifier: GPL-3.0-or-later */
/* xmem - jobd's allocation wrappers: every block is malloc(n + 8) with its
 * size in the first 8 bytes, the caller getting the bytes after them. */
#include <stddef.h>
#include <stf.h>
STF_ALLOCATOR void *xmalloc(size_t n);
STF_ALLOCATOR void *xrealloc(void *p, size_t n);
STF_ALLOCATOR char *xstrdup(const char *s);
void xfree(void *p);
size_t xsize(const void *p);
extern size_t xused; /* the sum of the sizes asked for */
