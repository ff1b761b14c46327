/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * An address kept in an integer (uintptr_t, not annotated): one points to
 * the start of a heap struct, one to a member inside another.  Version 2
 * adds a member at the start of the struct: the first stays right if its
 * struct keeps its address, the second would point to the old offset of
 * the member, so the update must roll back (the integer is not
 * relocated on a guess).
 */
#include <stdint.h>
#include "xt.h"

struct num {
	long value;
	struct num *next;
};

static uintptr_t whole;
static uintptr_t inner;

static void init(void)
{
	struct num *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b);
	a->value = 1;
	b->value = 2;
	whole = (uintptr_t)a;
	inner = (uintptr_t)&b->next;
}

int main(void)
{
	init();
	XT_V1_LOOP();
}
