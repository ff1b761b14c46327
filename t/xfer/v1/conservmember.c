/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Words of an untyped block (a client's raw input buffer, reached through
 * void * only) pointing to members of a typed heap object that version 2
 * moves: the object keeps its address (pinned), each word follows its
 * member, and comes back on the way back. */
#include "xt.h"

struct rec {
	long a;
	long b;
	long c;
};

static void *xalloc(size_t n)
{
	return malloc(n);
}

static void *block; /* the untyped block */
static struct rec *rec;

static __attribute__((noinline)) void init(void)
{
	rec = malloc(sizeof(*rec));
	rec->a = 1;
	rec->b = 2;
	rec->c = 3;
	void **words = xalloc(4 * sizeof(*words));
	block = words;
	words[0] = rec;
	words[1] = &rec->b;
	words[2] = &rec->c;
	words[3] = (void *)0x4242;
}

int main(void)
{
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
