/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Arrays of structs behind `void *elts` carved out of an nginx-style pool
 * by an STF_ALLOCATOR function called with a size computed at run time
 * (no type at its site), reached through an array of zones that is
 * itself such an object (t/idioms/pool's shape):
 *   chunk  three zones of five entries: the zone array and every entry
 *          array lie in the pool's 1 KB chunks, next to other objects;
 *   big    one zone of forty entries: its entry array is a large block
 *          of the pool (a malloc'ed block of its own, listed by the pool);
 *   stride24  one zone of 24 entries of 24 bytes: struct array.nelts
 *          holds the element size too, so which of nelts and size is the
 *          element size cannot be told.
 * Version 2 adds a member in the middle of struct entry. */
#include <stdint.h>
#include "xt.h"

/* ---- an nginx-style pool: 1 KB chunks, large blocks on their own ---- */
#define CHUNK 1024
#define MAX_SMALL 256

struct large {
	struct large *next;
	void *alloc;
};

struct pool {
	char *last, *end;      /* free space of this chunk */
	struct pool *next;
	struct large *large;   /* first chunk only */
};

STF_ALLOCATOR void *pool_alloc(struct pool *p, size_t size);

static struct pool *pool_create(void)
{
	struct pool *p = malloc(CHUNK);
	p->last = (char *)(p + 1);
	p->end = (char *)p + CHUNK;
	p->next = NULL;
	p->large = NULL;
	return p;
}

void *pool_alloc(struct pool *pool, size_t size)
{
	if (size > MAX_SMALL) {
		struct large *l = pool_alloc(pool, sizeof *l);
		l->alloc = malloc(size);
		l->next = pool->large;
		pool->large = l;
		return l->alloc;
	}
	struct pool *p = pool;
	for (;; p = p->next) {
		char *m = (char *)(((uintptr_t)p->last + 15) & ~(uintptr_t)15);
		if ((size_t)(p->end - m) >= size) {
			p->last = m + size;
			return m;
		}
		if (!p->next)
			p->next = pool_create();
	}
}

/* ptr lies in one of the pool's chunks or is one of its large blocks */
static int pool_owns(const struct pool *pool, const void *ptr)
{
	for (const struct pool *p = pool; p; p = p->next)
		if ((const char *)ptr >= (const char *)(p + 1) && (const char *)ptr < p->last)
			return 1;
	for (const struct large *l = pool->large; l; l = l->next)
		if (ptr == l->alloc)
			return 1;
	return 0;
}

/* ---- arrays of structs behind `void *elts` ---- */
struct array {
	void *elts;
	unsigned nelts, nalloc;
	size_t size;
	struct pool *pool;
};

static __attribute__((noinline)) struct array *array_create(struct pool *p, unsigned n,
							     size_t size)
{
	struct array *a = pool_alloc(p, sizeof *a);
	a->elts = pool_alloc(p, n * size);
	a->nelts = 0;
	a->nalloc = n;
	a->size = size;
	a->pool = p;
	return a;
}

static __attribute__((noinline)) void *array_push(struct array *a)
{
	if (a->nelts == a->nalloc) {
		void *bigger = pool_alloc(a->pool, 2 * a->nalloc * a->size);
		memcpy(bigger, a->elts, a->nalloc * a->size);
		a->elts = bigger;   /* the old block stays in the pool */
		a->nalloc *= 2;
	}
	return (char *)a->elts + a->size * a->nelts++;
}

struct zone {
	char name;
	struct array *entries;   /* of struct entry */
	long total;
};

static struct pool *pool;
static struct array *zones;   /* of struct zone */

struct entry {
	long key;
	char name[8];
	long value;
};

/* the zone array's address (an integer: not relocated) */
static uintptr_t zones_at;

/* the code reads the arrays as what they hold: zones->elts as zones,
 * zone.entries->elts as entries */
static __attribute__((noinline)) long sum(void)
{
	struct zone *zn = zones->elts;
	long total = 0;
	for (unsigned z = 0; z < zones->nelts; z++) {
		struct entry *e = zn[z].entries->elts;
		for (unsigned i = 0; i < zn[z].entries->nelts; i++)
			total += e[i].value;
	}
	return total;
}

static long want;

static __attribute__((noinline)) void init(const char *what)
{
	int nzones = strcmp(what, "chunk") ? 1 : 3;
	int nentries = !strcmp(what, "big") ? 40 : !strcmp(what, "stride24") ? 24 : 5;
	pool = pool_create();
	zones = array_create(pool, 4, sizeof(struct zone));
	for (int z = 0; z < nzones; z++) {
		struct zone *zn = array_push(zones);
		zn->name = (char)('a' + z);
		zn->entries = array_create(pool, 4, sizeof(struct entry));
		zn->total = 0;
		for (int i = 0; i < nentries; i++) {
			struct entry *e = array_push(zn->entries);
			e->key = 100 * z + i;
			snprintf(e->name, sizeof e->name, "%c%d", zn->name, i);
			e->value = 1000L * i + z;
			zn->total += e->value;
		}
	}
	zones_at = (uintptr_t)zones->elts;
	want = sum();
}

static const char *what;

static void init_args(void)
{
	init(what);
}

int main(int argc, char **argv)
{
	what = argc > 1 ? argv[1] : "chunk";
	if (!stf_is_updating())
		init_args();
	XT_V1_LOOP();
}
