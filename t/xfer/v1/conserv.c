/* SPDX-License-Identifier: GPL-3.0-or-later */
/* An untyped block (an unannotated allocator wrapper's) keeps its address
 * and its words are classified: a libc function (the same place of the
 * same library), an integer that points nowhere (kept), a function of the
 * program (by function ID), pointers to typed heap objects (kept: their
 * targets are pinned at their address).  argv[1] "member" points to a
 * member that version 2 moves to the object's start, where the way back
 * reads it as the whole object: the round trip rolls back. */
#include "xt.h"

struct keep {
	long a, b;
};

struct item {
	long id;
	long value;
};

static void *xalloc(size_t n)
{
	return malloc(n);
}

static int twice(int v)
{
	return 2 * v;
}

static void *block; /* the untyped block, reached through void * only */
static struct keep *keep;
static struct item *item;

static __attribute__((noinline)) void init(const char *what)
{
	keep = malloc(sizeof(*keep));
	keep->a = 1;
	keep->b = 2;
	item = malloc(sizeof(*item));
	item->id = 7;
	item->value = 70;
	void **words = xalloc(5 * sizeof(*words));
	block = words;
	words[0] = (void *)printf;
	words[1] = (void *)0x12345678;
	words[2] = keep;
	words[3] = (void *)twice;
	words[4] = strcmp(what, "member") ? (void *)item : (void *)&item->value;
}

int main(int argc, char **argv)
{
	if (!stf_is_updating())
		init(argc > 1 ? argv[1] : "start");
	XT_V1_LOOP();
}
