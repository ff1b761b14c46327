/* SPDX-License-Identifier: GPL-3.0-or-later */
/* See v1/untyped.c: only the text case commits; its bytes arrive as they
 * were. */
#include "xt.h"

struct record {
	char name[24];
	long count[3];
};

static void *xalloc(size_t n)
{
	return malloc(n);
}

static int twice(int v)
{
	return 2 * v;
}

/* typed, with room for a pointer after it that no type describes */
struct hdr {
	long n;
	int kind;
};

static void *block;
static struct hdr *hdr;

static __attribute__((noinline)) void init(const char *what)
{
	if (!strcmp(what, "funcptr")) {
		int (**fp)(int) = xalloc(2 * sizeof(*fp));
		fp[0] = NULL;
		fp[1] = twice;
		block = fp;
	} else if (!strcmp(what, "heapptr")) {
		void **p = xalloc(3 * sizeof(*p));
		p[0] = NULL;
		p[1] = NULL;
		p[2] = xalloc(32);
		memset(p[2], 'x', 32);
		block = p;
	} else if (!strcmp(what, "tail")) {
		hdr = malloc(sizeof(*hdr) + sizeof(void *));
		hdr->n = 1;
		hdr->kind = 2;
		*(void **)(hdr + 1) = hdr;
	} else {
		struct record *r = xalloc(sizeof(*r));
		strcpy(r->name, "hello, world");
		r->count[0] = 1;
		r->count[1] = -2;
		r->count[2] = 4096 + 7;
		block = r;
	}
}

static const char *what = "text";

static void init_default(void)
{
	init(what);
}

int main(void)
{
	XT_V2_RECEIVE(init_default);
	const struct record *r = block;
	CHECK(r != NULL);
	if (r) {
		CHECK(!strcmp(r->name, "hello, world"));
		CHECK(r->count[0] == 1 && r->count[1] == -2 && r->count[2] == 4096 + 7);
	}
	XT_V2_RESULT();
}
