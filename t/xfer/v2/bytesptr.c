/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Version 2 of bytesptr.c: struct header gains a member before `offset`,
 * so the pointer to headers[1] follows the element to its new place.
 */
#include "xt.h"

struct header {
	const char *name;
	long flags;
	int offset;
};

struct elt {
	void *value;
	unsigned short len;
	char name[1];
};

static struct header headers[] = { { "Host", 0, 0 }, { "Accept", 0, 8 } };
static unsigned char *elts;

static int handler(void)
{
	return 1;
}

static __attribute__((noinline)) void init(void)
{
	elts = calloc(1, 64);
	struct elt *e = (struct elt *)elts;
	e->value = &headers[1];
	e->len = 6;
	memcpy(e->name, "accept", 6);
	e = (struct elt *)(elts + 24);
	e->value = (void *)handler;
	e = (struct elt *)(elts + 40);
	e->value = (void *)"literal";
}

int main(void)
{
	XT_V2_RECEIVE(init);
	struct elt *e = (struct elt *)elts;
	CHECK(e->value == &headers[1]);
	CHECK(((struct header *)e->value)->offset == 8);
	CHECK(e->len == 6 && !memcmp(e->name, "accept", 6));
	e = (struct elt *)(elts + 24);
	CHECK(e->value == (void *)handler);
	CHECK(((int (*)(void))e->value)() == 1);
	e = (struct elt *)(elts + 40);
	CHECK(!strcmp(e->value, "literal"));
	XT_V2_RESULT();
}
