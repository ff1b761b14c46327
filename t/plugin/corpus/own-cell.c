/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A unit that defines the pending-site cell itself, as libstf does: the
 * plugin must use that definition instead of adding its own. */
#include <stdint.h>
#include <stdlib.h>

__thread uint32_t *stf__alloc_site;

void *grab(size_t n)
{
	return malloc(n);
}
