/* SPDX-License-Identifier: GPL-3.0-or-later */
/* See v1/untyped.c: the text, funcptr and heapptr cases commit (the
 * blocks keep their address, a function pointer in one is relocated by
 * function ID); the tail case rolls back. */
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

int main(int argc, char **argv)
{
	if (argc > 1)
		what = argv[1];
	XT_V2_RECEIVE(init_default);
	if (!strcmp(what, "funcptr")) {
		/* kept at its address, the function relocated by its ID */
		int (**fp)(int) = block;
		CHECK(fp != NULL && fp[0] == NULL && fp[1] == twice && fp[1](21) == 42);
	} else if (!strcmp(what, "heapptr")) {
		/* both blocks kept at their address */
		void **p = block;
		CHECK(p != NULL && p[0] == NULL && p[1] == NULL && p[2] != NULL);
		if (p && p[2])
			for (int i = 0; i < 32; i++)
				CHECK(((char *)p[2])[i] == 'x');
	} else {
		const struct record *r = block;
		CHECK(r != NULL);
		if (r) {
			CHECK(!strcmp(r->name, "hello, world"));
			CHECK(r->count[0] == 1 && r->count[1] == -2 && r->count[2] == 4096 + 7);
		}
	}
	XT_V2_RESULT();
}
