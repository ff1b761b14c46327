/* SPDX-License-Identifier: GPL-3.0-or-later */
/* One container type (struct array, `void *elts`) holding three element
 * types, told apart by the path through which the code reaches it: the
 * zones behind the static `zones`, each zone's entries behind the pointer
 * member zone.entries, its tags behind the embedded member zone.tags. */
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

struct tag {
	char name[6];
	short weight;
};

struct zone {
	int id;
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
		z->entries = array_create(2, sizeof(struct entry));
		array_init(&z->tags, 1, sizeof(struct tag));
	}
	for (int i = 0; i < 3; i++) {
		struct zone *z = (struct zone *)zones->elts + i;
		for (int k = 0; k < 5 + i; k++) {
			struct entry *e = array_push(z->entries);
			e->key = 100 * i + k;
			e->value = 1000L * (100 * i + k);
		}
		for (int k = 0; k < 2; k++) {
			struct tag *t = array_push(&z->tags);
			snprintf(t->name, sizeof(t->name), "t%d%d", i, k);
			t->weight = (short)(10 * i + k);
		}
	}
}

static __attribute__((noinline)) long serve(void)
{
	struct zone *z = zones->elts;
	long sum = 0;
	for (unsigned i = 0; i < zones->nelts; i++) {
		struct entry *e = z[i].entries->elts;
		struct tag *t = z[i].tags.elts;
		sum += z[i].id;
		for (unsigned k = 0; k < z[i].entries->nelts; k++)
			sum += e[k].key + e[k].value;
		for (unsigned k = 0; k < z[i].tags.nelts; k++)
			sum += t[k].weight + t[k].name[1];
	}
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
