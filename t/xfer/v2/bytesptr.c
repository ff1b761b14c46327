/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Version 2 of bytesptr.c (the update must not commit).
 */
#include "xt.h"

struct header {
	const char *name;
	int offset;
};

struct elt {
	void *value;
	unsigned short len;
	char name[1];
};

static struct header headers[] = { { "Host", 0 }, { "Accept", 8 } };
static unsigned char *elts;

static __attribute__((noinline)) void init(void)
{
	elts = calloc(1, 64);
	struct elt *e = (struct elt *)elts;
	e->value = &headers[1];
	e->len = 6;
	memcpy(e->name, "accept", 6);
}

int main(void)
{
	XT_V2_RECEIVE(init);
	CHECK(((struct elt *)elts)->value == &headers[1]);
	XT_V2_RESULT();
}
