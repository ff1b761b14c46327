/* SPDX-License-Identifier: GPL-3.0-or-later */
/* See v1/externfn/main.c; the state is checked. */
#include "xt.h"

int lib_open(int x);
int lib_close(int x);

struct lib {
	const char *name;
	int (*fn)(int);
};

static int (*opener)(int);
static void *block;

static void *raw_alloc(size_t n)
{
	return realloc(NULL, n);
}

static __attribute__((noinline)) void init(void)
{
	struct lib l = { "close", lib_close };
	opener = lib_open;
	block = raw_alloc(64);
	memset(block, 0, 64);
	memcpy((char *)block + 16, &l, sizeof(l));
}

int main(void)
{
	struct lib l;
	XT_V2_RECEIVE(init);
	CHECK(opener == lib_open && opener(1) == 2);
	memcpy(&l, (char *)block + 16, sizeof(l));
	CHECK(!strcmp(l.name, "close") && l.fn == lib_close && l.fn(1) == 0);
	XT_V2_RESULT();
}
