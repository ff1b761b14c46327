/* SPDX-License-Identifier: GPL-3.0-or-later */
/* An APR array of the program's structs (apr_array_make (p, n,
 * sizeof (struct item)), filled by apr_array_push, read with
 * APR_ARRAY_IDX): the elements lie in the store pool's node, where APR
 * keeps their size (elt_size) in the array's header; nothing tells what
 * they are.  Version 2 (this file with V2 defined) grows struct item:
 * kept as bytes, its elements would be read with the new stride from
 * elements of the old one (before: committed, v2's checks failed).  The
 * update must roll back naming the array, the struct and the fix. */
#include <apr_general.h>
#include <apr_pools.h>
#include <apr_tables.h>
#include "xt.h"

#define NITEMS 5

struct item {
	int id;
	long val;
#ifdef V2
	long hits;
#endif
	char name[8];
};

static apr_pool_t *store;
static apr_array_header_t *items;

__attribute__((constructor)) static void start_apr(void)
{
	apr_initialize();
}

static void init(void)
{
	apr_pool_create(&store, NULL);
	items = apr_array_make(store, 2, sizeof(struct item));
	for (int k = 0; k < NITEMS; k++) {
		struct item *it = apr_array_push(items);
		it->id = k;
		it->val = 10L * k;
		snprintf(it->name, sizeof(it->name), "i%d", k);
	}
}

static void check(void)
{
	CHECK(items->nelts == NITEMS && items->elt_size == (int)sizeof(struct item));
	for (int k = 0; k < NITEMS && k < items->nelts; k++) {
		const struct item *it = &APR_ARRAY_IDX(items, k, struct item);
		char name[8];
		snprintf(name, sizeof(name), "i%d", k);
		CHECK(it->id == k && it->val == 10L * k && !strcmp(it->name, name));
#ifdef V2
		CHECK(it->hits == 0);
#endif
	}
}

XT_MAIN_CHECKED(init, check)
