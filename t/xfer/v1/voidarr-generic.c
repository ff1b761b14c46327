/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Arrays of structs of two types behind the same `void *elts`, read only
 * by functions given the array (`struct array *a`): the code never says
 * through which path an array of each type is reached. */
#include "xt.h"

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

struct zone {
	int id;
	long size;
};

static struct array *entries, *zones;

static __attribute__((noinline)) struct array *array_create(unsigned n, size_t size)
{
	struct array *a = malloc(sizeof *a);
	a->elts = malloc(n * size);
	a->nelts = 0;
	a->nalloc = n;
	a->size = size;
	return a;
}

static __attribute__((noinline)) void *array_push(struct array *a)
{
	if (a->nelts == a->nalloc) {
		a->nalloc *= 2;
		a->elts = realloc(a->elts, a->nalloc * a->size);
	}
	return (char *)a->elts + a->size * a->nelts++;
}

static __attribute__((noinline)) void init(void)
{
	zones = array_create(2, sizeof(struct zone));
	for (int i = 0; i < 3; i++) {
		struct zone *z = array_push(zones);
		z->id = i;
		z->size = 10L * i;
	}
	entries = array_create(4, sizeof(struct entry));
	for (int i = 0; i < 11; i++) {
		struct entry *e = array_push(entries);
		e->key = i;
		e->value = 1000L * i;
		snprintf(e->name, sizeof(e->name), "e%d", i);
	}
}

static __attribute__((noinline)) long sum_zones(const struct array *a)
{
	const struct zone *z = a->elts;
	long sum = 0;
	for (unsigned i = 0; i < a->nelts; i++)
		sum += z[i].id + z[i].size;
	return sum;
}

static __attribute__((noinline)) long sum_entries(const struct array *a)
{
	const struct entry *e = a->elts;
	long sum = 0;
	for (unsigned i = 0; i < a->nelts; i++)
		sum += e[i].key + e[i].value + e[i].name[1];
	return sum;
}

static __attribute__((noinline)) long serve(void)
{
	return sum_zones(zones) + sum_entries(entries);
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
