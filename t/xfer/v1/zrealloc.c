/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A size-prefixing wrapper with a realloc (Redis' zmalloc/zrealloc, both
 * declared STF_ALLOCATOR): an array of structs and a text buffer grown by
 * zrealloc, the wrapper counting used_memory from its headers.  Version 2
 * grows the array's element type. */
#include "xt.h"

#define ZHDR 16

static size_t used_memory;

STF_ALLOCATOR void *zmalloc(size_t size);
STF_ALLOCATOR void *zrealloc(void *ptr, size_t size);

void *zmalloc(size_t size)
{
	char *p = malloc(size + ZHDR);

	*(size_t *)p = size;
	used_memory += size;
	return p + ZHDR;
}

void *zrealloc(void *ptr, size_t size)
{
	char *p;

	if (!ptr)
		return zmalloc(size);
	p = (char *)ptr - ZHDR;
	used_memory -= *(size_t *)p;
	p = realloc(p, size + ZHDR);
	*(size_t *)p = size;
	used_memory += size;
	return p + ZHDR;
}

struct item {
	int id;
	char *name;
};

struct vec {
	size_t n, cap;
	struct item *items;
};

static struct vec vec;
static char *text;

static __attribute__((noinline)) void init(void)
{
	for (int i = 0; i < 11; i++) {
		if (vec.n == vec.cap) {
			vec.cap = vec.cap ? 2 * vec.cap : 1;
			vec.items = zrealloc(vec.items, vec.cap * sizeof *vec.items);
		}
		vec.items[vec.n].id = 10 * i;
		vec.items[vec.n].name = zmalloc(16);
		snprintf(vec.items[vec.n].name, 16, "item %d", i);
		vec.n++;
	}
	text = NULL;
	for (int i = 0; i < 5; i++) {
		size_t len = text ? strlen(text) : 0;

		text = zrealloc(text, len + 8);
		snprintf(text + len, 8, "part%d,", i);
	}
}

int main(void)
{
	init();
	XT_V1_LOOP();
}
