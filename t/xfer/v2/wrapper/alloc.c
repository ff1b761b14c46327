/* SPDX-License-Identifier: GPL-3.0-or-later */
/* An allocator wrapper in a unit of its own, not annotated with
 * STF_ALLOCATOR: its one allocation site has no type. */
#include <stdlib.h>

void *xalloc(size_t n);

void *xalloc(size_t n)
{
	return malloc(n);
}
