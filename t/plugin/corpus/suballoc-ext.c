/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Built without the plugin (see suballoc.c): a library's allocator that
 * hands out a static buffer, and the library's own use of malloc. */
#include <stdlib.h>

static long buffer[8];

void *ext_take(size_t n);
void *ext_take(size_t n)
{
	return n <= sizeof buffer ? buffer : NULL;
}

void *ext_malloc(size_t n);
void *ext_malloc(size_t n)
{
	return malloc(n);
}
