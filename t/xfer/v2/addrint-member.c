/* SPDX-License-Identifier: GPL-3.0-or-later */
/* See v1/addrint-member.c: struct num gains a member at its start. */
#include <stdint.h>
#include "xt.h"

struct num {
	unsigned refs;      /* new in 2, first */
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
	XT_V2_RECEIVE(init);
	struct num *a = (struct num *)whole;
	CHECK(a->refs == 0 && a->value == 1 && !a->next);
	CHECK(*(struct num **)inner == NULL);
	XT_V2_RESULT();
}
