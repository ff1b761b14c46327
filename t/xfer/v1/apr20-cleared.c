/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A pool cleared and filled again, as httpd's configuration pool is
 * between its two reads of the configuration: the program's records of
 * the first fill (struct rec, numbers only) stay in libstf's registry,
 * and APR's array of hooks ({function, name}) made after the clear lies
 * over them.  The dead records must not be transferred over the live
 * array: their numbers would keep the old version's function addresses
 * in it (before: committed, and version 2's hook pointed into the old
 * process's code, as httpd's map_to_storage hook did). */
#include <apr_general.h>
#include <apr_pools.h>
#include <apr_tables.h>
#include "xt.h"

#define NHOOKS 3

struct rec {
	long a, b, c, d, e, f;
};

struct hook {
	int (*fn)(int);
	const char *name;
};

static apr_pool_t *conf;
static apr_array_header_t *hooks;
static struct rec *first;
#ifdef V2
static int added;
#endif

__attribute__((constructor)) static void start_apr(void)
{
	apr_initialize();
}

static int twice(int v)
{
	return 2 * v;
}

static int plus_one(int v)
{
	return v + 1;
}

static void init(void)
{
	apr_pool_create(&conf, NULL);
	for (int k = 0; k < 4; k++) {
		struct rec *r = apr_pcalloc(conf, sizeof(*r));
		r->a = r->b = r->c = r->d = r->e = r->f = 1000 + k;
		if (!k)
			first = r;
	}
	/* the configuration read again: its pool cleared and refilled */
	apr_pool_clear(conf);
	first = NULL;
	hooks = apr_array_make(conf, 1, sizeof(struct hook));
	for (int k = 0; k < NHOOKS; k++) {
		struct hook *h = apr_array_push(hooks);
		h->fn = k % 2 ? plus_one : twice;
		h->name = k % 2 ? "plus_one" : "twice";
	}
}

static void check(void)
{
	CHECK(!first && hooks->nelts == NHOOKS);
	for (int k = 0; k < NHOOKS && k < hooks->nelts; k++) {
		const struct hook *h = &APR_ARRAY_IDX(hooks, k, struct hook);
		CHECK(h->fn == (k % 2 ? plus_one : twice));
		CHECK(h->fn == (k % 2 ? plus_one : twice) && h->fn(5) == (k % 2 ? 6 : 10));
	}
#ifdef V2
	CHECK(added == 0);
#endif
}

XT_MAIN_CHECKED(init, check)
