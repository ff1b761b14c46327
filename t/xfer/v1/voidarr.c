/* SPDX-License-Identifier: GPL-3.0-or-later */
/* An array of structs behind `void *elts` (nginx's ngx_array_t): the
 * generic code allocates and grows it by an element size, only the code
 * reading it says its element type (struct entry *e = a->elts). */
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

static struct array *entries;

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
