/* SPDX-License-Identifier: GPL-3.0-or-later */
/* voidpath with the zones the only struct type the code reads a struct
 * array.elts as (through the static `zones`); each zone's entries are
 * read as bytes only, so no type is recorded for the path zone.entries.
 * The entries' arrays, reached through zones typed by their path, must
 * not take the zones' type (the only one recorded for the member). */
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
		z->entries = array_create(2, sizeof(struct entry));
		for (int k = 0; k < 8; k++) {
			struct entry e = { 100 * i + k, 1000L * (100 * i + k) };
			memcpy(array_push(z->entries), &e, sizeof e);
		}
	}
}

static __attribute__((noinline)) long serve(void)
{
	struct zone *z = zones->elts;
	long sum = 0;
	for (unsigned i = 0; i < zones->nelts; i++) {
		const char *bytes = z[i].entries->elts;
		sum += z[i].id;
		for (unsigned k = 0; k < z[i].entries->nelts * z[i].entries->size; k++)
			sum += bytes[k];
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
