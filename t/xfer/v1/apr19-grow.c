/* SPDX-License-Identifier: GPL-3.0-or-later */
/* t/idioms/aprd in small, on the real APR (libapr-1): records apr_pcalloc'd
 * first in pools of their own, right after each pool's struct, so the
 * pool's mark of its first free byte (self_first_avail) and, after the
 * record and its key, the node's free cursor lie in APR's node; a hash
 * of the store pool maps keys to them, each record's pool has a cleanup
 * with the record as its data.  One record is deleted (its hash entry
 * freed, its stale value left in the hash's free list, its pool
 * destroyed) and one cleanup killed (its stale data in the pool's free
 * cleanups).  Version 2 (this file with V2 defined) grows struct record
 * in its middle and at its end: each record leaves its place (alone, to
 * a heap block of its own); the hash's values and the cleanups' data
 * follow it, APR's positions in its nodes stay.  Before, the update
 * rolled back: "offset ... of untyped block ... points into it, which
 * therefore keeps its address".  With PINNED (v1/apr19-pinned.c) an
 * APR array of the store pool holds a record's address too: a live
 * element of an array, handed back as it is, follows the record (before
 * apr20 it pinned it, and the update rolled back naming it). */
#include <apr_general.h>
#include <apr_hash.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include "xt.h"

#define NRECS 4
#define MAGIC 0x7265636fu

struct record {
	unsigned magic;
	apr_pool_t *pool;
#ifdef V2
	unsigned long revs;
#endif
	const char *key;
	long val;
	int gone; /* set by its pool's cleanup */
#ifdef V2
	int rel;
#endif
};

static apr_pool_t *store;
static apr_hash_t *records;
static int killed_cleanup_ran;
#ifdef PINNED
static apr_array_header_t *recent;
#endif

/* APR is set up before main in both versions, as a server does first */
__attribute__((constructor)) static void start_apr(void)
{
	apr_initialize();
}

static apr_status_t record_gone(void *data)
{
	struct record *r = data;
	r->gone = 1;
	return APR_SUCCESS;
}

static apr_status_t killed(void *data)
{
	(void)data;
	killed_cleanup_ran = 1;
	return APR_SUCCESS;
}

static struct record *record_new(long k)
{
	apr_pool_t *p;
	apr_pool_create(&p, store);
	struct record *r = apr_pcalloc(p, sizeof(*r));
	r->magic = MAGIC;
	r->pool = p;
	r->key = apr_psprintf(p, "k%ld", k);
	r->val = 100 + k;
	apr_pool_cleanup_register(p, r, record_gone, apr_pool_cleanup_null);
	apr_hash_set(records, r->key, APR_HASH_KEY_STRING, r);
	return r;
}

static void init(void)
{
	apr_pool_create(&store, NULL);
	records = apr_hash_make(store);
	for (long k = 0; k <= NRECS; k++)
		record_new(k);
	/* the last one deleted: its entry freed, its pool destroyed */
	struct record *last = apr_hash_get(records, "k4", APR_HASH_KEY_STRING);
	apr_hash_set(records, "k4", APR_HASH_KEY_STRING, NULL);
	apr_pool_destroy(last->pool);
	/* a cleanup killed: its data stays in the pool's free cleanups */
	struct record *first = apr_hash_get(records, "k0", APR_HASH_KEY_STRING);
	apr_pool_cleanup_register(first->pool, first, killed, apr_pool_cleanup_null);
	apr_pool_cleanup_kill(first->pool, first, killed);
#ifdef PINNED
	recent = apr_array_make(store, 4, sizeof(struct record *));
	*(struct record **)apr_array_push(recent) = apr_hash_get(records, "k2", APR_HASH_KEY_STRING);
#endif
}

static void check(void)
{
	CHECK(apr_hash_count(records) == NRECS);
#ifdef PINNED
	CHECK(APR_ARRAY_IDX(recent, 0, struct record *) ==
	      apr_hash_get(records, "k2", APR_HASH_KEY_STRING));
#endif
	for (long k = 0; k < NRECS; k++) {
		char key[8];
		snprintf(key, sizeof(key), "k%ld", k);
		struct record *r = apr_hash_get(records, key, APR_HASH_KEY_STRING);
		CHECK(r && r->magic == MAGIC && !strcmp(r->key, key) && r->val == 100 + k &&
		      !r->gone && apr_pool_parent_get(r->pool) == store);
#ifdef V2
		CHECK(r && r->revs == 0 && r->rel == 0);
		/* it left its place after its pool's struct */
		CHECK(r && (void *)r != (void *)((char *)r->pool + 120));
#endif
	}
#ifdef V2
	/* the moved record's cleanup gets it: destroying its pool marks it
	 * (the record, a heap block of its own, outlives the pool) */
	struct record *r = apr_hash_get(records, "k1", APR_HASH_KEY_STRING);
	if (r) {
		apr_hash_set(records, "k1", APR_HASH_KEY_STRING, NULL);
		apr_pool_destroy(r->pool);
		CHECK(r->gone == 1);
	}
	/* the killed cleanup stays dead */
	r = apr_hash_get(records, "k0", APR_HASH_KEY_STRING);
	if (r) {
		apr_pool_destroy(r->pool);
		CHECK(r->gone == 1 && !killed_cleanup_ran);
	}
#endif
}

XT_MAIN_CHECKED(init, check)
