/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A block holding a function pointer, allocated through the unannotated
 * wrapper of alloc.c and reached through a void pointer: it keeps its
 * address and the function pointer is relocated by function ID. */
#include "xt.h"

void *xalloc(size_t n); /* alloc.c, without STF_ALLOCATOR */

static int handler(int v)
{
	return v + 1;
}

static void *handlers;

static __attribute__((noinline)) void init(void)
{
	int (**h)(int) = xalloc(sizeof(*h));
	*h = handler;
	handlers = h;
}

int main(void)
{
	XT_V2_RECEIVE(init);
	int (**h)(int) = handlers;
	CHECK(h != NULL && *h == handler && (*h)(1) == 2);
	XT_V2_RESULT();
}
