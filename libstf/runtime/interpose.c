/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * interpose.c - the C library's function behind one of libstf's
 * (interpose.h).
 */
#include <dlfcn.h>

#include "interpose.h"

void *stf__next_fn(void *_Atomic *cache, const char *name)
{
	void *f = *cache;

	if (!f)
		*cache = f = dlsym(RTLD_NEXT, name);
	return f;
}
