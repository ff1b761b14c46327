/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of voidpath: every element type changes (struct zone gains a
 * member before its entries, struct entry one in the middle, struct tag
 * a wider weight), each array is converted with its own path's type. */
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
};

struct tag {
	char name[6];
	long weight;
};

struct zone {
	int id;
	long misses;
	struct array *entries;
	struct array tags;
};

static struct array *zones;

static __attribute__((noinline)) void array_init(struct array *a, unsigned n, size_t size)
{
	a->elts = malloc(n * size);
	a->nelts = 0;
	a->nalloc = n;
	a->size = size;
}

static __attribute__((noinline)) struct array *array_create(unsigned n, size_t size)
{
	struct array *a = malloc(sizeof *a);
	array_init(a, n, size);
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
		array_init(&z->tags, 1, sizeof(struct tag));
	}
	for (int i = 0; i < 3; i++) {
		struct zone *z = (struct zone *)zones->elts + i;
		for (int k = 0; k < 5 + i; k++) {
			struct entry *e = array_push(z->entries);
			e->key = 100 * i + k;
			e->hits = 0;
			e->value = 1000L * (100 * i + k);
		}
		for (int k = 0; k < 2; k++) {
			struct tag *t = array_push(&z->tags);
			snprintf(t->name, sizeof(t->name), "t%d%d", i, k);
			t->weight = (short)(10 * i + k);
		}
	}
}

int main(void)
{
	XT_V2_RECEIVE(init);
	CHECK(zones->nelts == 3 && zones->nalloc == 4);
	struct zone *z = zones->elts;
	for (int i = 0; i < 3; i++) {
		struct entry *e = z[i].entries->elts;
		struct tag *t = z[i].tags.elts;
		CHECK(z[i].id == i && z[i].misses == 0);
		CHECK(z[i].entries->nelts == 5u + i && z[i].tags.nelts == 2);
		for (int k = 0; k < 5 + i; k++)
			CHECK(e[k].key == 100 * i + k && e[k].hits == 0 &&
			      e[k].value == 1000L * (100 * i + k));
		for (int k = 0; k < 2; k++) {
			char want[6];
			snprintf(want, sizeof(want), "t%d%d", i, k);
			CHECK(!strcmp(t[k].name, want) && t[k].weight == 10 * i + k);
		}
	}
	XT_V2_RESULT();
}
