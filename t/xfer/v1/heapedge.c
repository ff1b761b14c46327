/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Heap corner cases: a zero-sized block, an array shrunk by realloc, one
 * past the end of heap arrays, an empty vector, a buffer with a write
 * cursor at its very end. */
#include "xt.h"

struct item {
	int a;
	short b;
};

static void *empty;
static struct item *items;
static struct item *items_end;
static size_t nitems;
static char *buf;
static char *wpos;
static struct item *none;   /* calloc(0, ...) */

static __attribute__((noinline)) void init(void)
{
	empty = malloc(0);
	items = malloc(10 * sizeof(*items));
	for (int i = 0; i < 10; i++) {
		items[i].a = i;
		items[i].b = (short)-i;
	}
	items = realloc(items, 4 * sizeof(*items));
	nitems = 4;
	items_end = items + nitems;
	buf = malloc(8);
	memcpy(buf, "abcdefgh", 8);
	wpos = buf + 8;
	none = calloc(0, sizeof(*none));
}

int main(void)
{
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
