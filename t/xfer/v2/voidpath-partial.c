/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of voidpath-partial: struct zone gains a member; the zones
 * are converted, the entries' arrays are carried as bytes. */
#include "xt.h"

struct array {
	void *elts;
	unsigned nelts, nalloc;
	size_t size;
};

struct entry {
	long key;
	long value;
};

struct zone {
	int id;
	long misses;
	struct array *entries;
};

static struct array *zones;

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
		z->misses = 0;
		z->entries = array_create(2, sizeof(struct entry));
		for (int k = 0; k < 8; k++) {
			struct entry e = { 100 * i + k, 1000L * (100 * i + k) };
			memcpy(array_push(z->entries), &e, sizeof e);
		}
	}
}

int main(void)
{
	XT_V2_RECEIVE(init);
	CHECK(zones->nelts == 3);
	struct zone *z = zones->elts;
	for (int i = 0; i < 3; i++) {
		CHECK(z[i].id == i && z[i].misses == 0 && z[i].entries->nelts == 8);
		for (int k = 0; k < 8; k++) {
			struct entry e;
			memcpy(&e, (char *)z[i].entries->elts + k * sizeof e, sizeof e);
			CHECK(e.key == 100 * i + k && e.value == 1000L * (100 * i + k));
		}
	}
	XT_V2_RESULT();
}
