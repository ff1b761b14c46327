/* SPDX-License-Identifier: GPL-3.0-or-later */
/* See v1/conservmember.c; struct rec's b and c change places. */
#include "xt.h"

struct rec {
	long a;
	long c;
	long b;
};

static void *xalloc(size_t n)
{
	return malloc(n);
}

static void *block;
static struct rec *rec;

static __attribute__((noinline)) void init(void)
{
	rec = malloc(sizeof(*rec));
	void **words = xalloc(4 * sizeof(*words));
	block = words;
}

int main(void)
{
	XT_V2_RECEIVE(init);
	void **words = block;
	CHECK(words[0] == rec);
	CHECK(words[1] == &rec->b && *(long *)words[1] == 2);
	CHECK(words[2] == &rec->c && *(long *)words[2] == 3);
	CHECK(words[3] == (void *)0x4242);
	CHECK(rec->a == 1);
	XT_V2_RESULT();
}
