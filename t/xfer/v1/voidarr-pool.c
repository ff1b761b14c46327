/* SPDX-License-Identifier: GPL-3.0-or-later */
/* voidarr with nginx's pools: the array and its elements are carved out
 * of 4 KB chunks by an STF_ALLOCATOR function; growing takes a bigger
 * block of the pool and leaves the old one. */
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
		e->value = 1000L * i;
		snprintf(e->name, sizeof(e->name), "e%d", i);
	}
}

static __attribute__((noinline)) long serve(void)
{
	struct entry *e = entries->elts;
	long sum = 0;
	for (unsigned i = 0; i < entries->nelts; i++)
		sum += e[i].key + e[i].value + e[i].name[1];
	return sum;
}

int main(void)
{
	if (!stf_is_updating())
		init();
	long want = stf_is_updating() ? 0 : serve();
	for (;;) {
		stf_update_point();
		if (want && serve() != want)
			abort();
		usleep(2000);
	}
}
