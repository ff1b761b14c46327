/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of heapedge.c: the item widens. */
#include <malloc.h>
#include "xt.h"

struct item {
	long a;
	int b;
	int c;
};

static void *empty;
static struct item *items;
static struct item *items_end;
static size_t nitems;
static char *buf;
static char *wpos;
static struct item *none;

static __attribute__((noinline)) void init(void)
{
	empty = malloc(0);
	items = malloc(10 * sizeof(*items));
	items = realloc(items, 4 * sizeof(*items));
	nitems = 4;
	items_end = items + nitems;
	buf = malloc(8);
	wpos = buf + 8;
	none = calloc(0, sizeof(*none));
}

int main(void)
{
	XT_V2_RECEIVE(init);
	struct stf_object_info info;
	CHECK(empty != NULL && malloc_usable_size(empty) == 0);
	CHECK(nitems == 4 && stf_lookup(items, &info) == 0 && info.count == 4);
	for (int i = 0; i < 4; i++)
		CHECK(items[i].a == i && items[i].b == -i && items[i].c == 0);
	CHECK(items_end == items + 4);
	CHECK(!memcmp(buf, "abcdefgh", 8) && wpos == buf + 8);
	CHECK(none != NULL && none != empty && malloc_usable_size(none) == 0);
	XT_V2_RESULT();
}
