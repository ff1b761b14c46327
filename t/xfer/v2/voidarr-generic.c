/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of voidarr-generic: struct entry gains a member in the
 * middle.  Which arrays hold entries is not known, so the update must
 * roll back (this check is never reached). */
#include "xt.h"

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
		e->hits = 0;
		e->value = 1000L * i;
		snprintf(e->name, sizeof(e->name), "e%d", i);
	}
}

int main(void)
{
	XT_V2_RECEIVE(init);
	CHECK(entries->nelts == 11 && entries->nalloc == 16);
	struct zone *z = zones->elts;
	CHECK(zones->nelts == 3 && z[2].id == 2 && z[2].size == 20);
	struct entry *e = entries->elts;
	for (int i = 0; i < 11; i++) {
		char want[8];
		snprintf(want, sizeof(want), "e%d", i);
		CHECK(e[i].key == i && e[i].hits == 0 && e[i].value == 1000L * i);
		CHECK(!strcmp(e[i].name, want));
	}
	XT_V2_RESULT();
}
