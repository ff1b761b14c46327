/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of voidarr-pool: struct entry gains a member in the middle.
 * Its array, an untyped object of a pool chunk behind `void *elts`, is
 * typed by that member's use and converted. */
#include "xt.h"

struct chunk {
	struct chunk *next;
	size_t used;
};

static struct chunk *pool;

STF_ALLOCATOR void *pool_alloc(size_t size);
void *pool_alloc(size_t size)
{
	size = (size + 15) & ~(size_t)15;
	if (!pool || 4096 - pool->used < size) {
		struct chunk *c = malloc(4096);
		c->next = pool;
		c->used = 16;
		pool = c;
	}
	char *m = (char *)pool + pool->used;
	pool->used += size;
	return m;
}

struct array {
	void *elts;
	unsigned nelts, nalloc;
	size_t size;
};

struct entry {
	long key;
	long hits;
	long value;
	char name[8];
};

static struct array *entries;

static __attribute__((noinline)) struct array *array_create(unsigned n, size_t size)
{
	struct array *a = pool_alloc(sizeof *a);
	a->elts = pool_alloc(n * size);
	a->nelts = 0;
	a->nalloc = n;
	a->size = size;
	return a;
}

static __attribute__((noinline)) void *array_push(struct array *a)
{
	if (a->nelts == a->nalloc) {
		void *bigger = pool_alloc(2 * a->nalloc * a->size);
		memcpy(bigger, a->elts, a->nalloc * a->size);
		a->elts = bigger;
		a->nalloc *= 2;
	}
	return (char *)a->elts + a->size * a->nelts++;
}

static __attribute__((noinline)) void init(void)
{
	entries = array_create(4, sizeof(struct entry));
	for (int i = 0; i < 11; i++) {
		struct entry *e = array_push(entries);
		e->key = i;
		e->hits = 0;
		e->value = 1000L * i;
		snprintf(e->name, sizeof(e->name), "e%d", i);
	}
}

int main(void)
{
	XT_V2_RECEIVE(init);
	CHECK(entries->nelts == 11 && entries->nalloc == 16);
	CHECK(entries->size == sizeof(struct entry));
	struct entry *e = entries->elts;
	for (int i = 0; i < 11; i++) {
		char want[8];
		snprintf(want, sizeof(want), "e%d", i);
		CHECK(e[i].key == i && e[i].hits == 0 && e[i].value == 1000L * i);
		CHECK(!strcmp(e[i].name, want));
	}
	XT_V2_RESULT();
}
