/* SPDX-License-Identifier: GPL-3.0-or-later */
/* zrealloc, version 2: struct item gains a member in the middle; the
 * array zrealloc grew arrives converted, behind its size header, and
 * zrealloc and zfree go on working on it. */
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

static void zfree(void *ptr)
{
	char *p = (char *)ptr - ZHDR;

	used_memory -= *(size_t *)p;
	free(p);
}

struct item {
	int id;
	long score;
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
	char want[16];

	XT_V2_RECEIVE(init);
	CHECK(vec.n == 11 && vec.cap == 16);
	for (size_t i = 0; i < vec.n; i++) {
		snprintf(want, sizeof want, "item %zu", i);
		CHECK(vec.items[i].id == (int)(10 * i));
		CHECK(vec.items[i].score == 0);
		CHECK(vec.items[i].name && strcmp(vec.items[i].name, want) == 0);
	}
	CHECK(text && strcmp(text, "part0,part1,part2,part3,part4,") == 0);
	/* the wrapper goes on working on what it received */
	vec.items = zrealloc(vec.items, 32 * sizeof *vec.items);
	vec.cap = 32;
	for (size_t i = 0; i < vec.n; i++)
		CHECK(vec.items[i].id == (int)(10 * i));
	text = zrealloc(text, 64);
	strcat(text, "more");
	CHECK(strcmp(text, "part0,part1,part2,part3,part4,more") == 0);
	for (size_t i = 0; i < vec.n; i++)
		zfree(vec.items[i].name);
	zfree(vec.items);
	zfree(text);
	/* headers kept the sizes the wrapper counted */
	CHECK(used_memory == 0);
	XT_V2_RESULT();
}
