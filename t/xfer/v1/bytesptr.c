/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Records of varying length packed into a block allocated as bytes, each
 * starting with a pointer to a static (nginx's ngx_hash_init: `u_char
 * *elts = ngx_palloc(...)`, then `elt->value = names[n].value`): an
 * element of a static array, a function, a string literal.
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
	init();
	XT_V1_LOOP();
}
