/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Blocks allocated through an allocator wrapper that nobody annotated
 * with STF_ALLOCATOR: their allocation site has no type, and reached
 * through void pointers only, nothing gives them one.  They keep their
 * address and their words are classified: text and numbers (argv[1] =
 * text) stay, a function pointer (funcptr) is relocated by function ID, a
 * pointer to another untyped block (heapptr) stays.  The bytes past the
 * last whole element of a typed block (tail) holding a pointer are
 * refused. */
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

int main(int argc, char **argv)
{
	if (!stf_is_updating())
		init(argc > 1 ? argv[1] : "text");
	XT_V1_LOOP();
}
