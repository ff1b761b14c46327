/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A request's APR table of headers (apr_table_t: an apr_array_header_t
 * of apr_table_entry_t {key, val, key_checksum} in the store pool's
 * node) and connection records apr_pcalloc'd first in pools of their
 * own, listed in an APR array of `struct conn *` (apr_array_push).
 * Version 2 (this file with V2 defined) grows struct conn: each record
 * leaves its place after its pool's struct, and the array's elements,
 * the program's pointers APR hands back as they are, follow it (before:
 * the array's word pinned the record and the update rolled back, as
 * v1/apr19-pinned.c did).  Version 2's table then gains entries (APR
 * grows its array in the pool) and every header is found again, after
 * 1 -> 2 and 2 -> 2.  The program reads APR's constant apr_month_snames,
 * which the linker copies into its read-only data: a copy relocation
 * under RELRO, which the transfer must leave alone (before apr20 F wrote
 * it and died of SIGSEGV, as httpd's did), and a table's value points
 * into that copy: into the new executable's (before: rolled back, "a
 * pointer into ... where no function or static object of the program
 * is", as httpd's apr_bucket_type_flush); and calls apr_time_now, whose
 * call of gettimeofday goes through libapr's GOT to the vDSO: the entry
 * is the dynamic linker's, not libapr's state (before apr20 it was
 * carried, and version 2 died calling the old process's vDSO). */
#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include <apr_tables.h>
#include <apr_time.h>
#include "xt.h"

#define NCONNS 3
#define NEXTRA 40

struct conn {
	apr_pool_t *pool;
#ifdef V2
	unsigned long bytes_in;
#endif
	int fd;
	const char *peer;
#ifdef V2
	int keepalive;
#endif
};

static apr_pool_t *store;
static apr_table_t *headers;
static apr_array_header_t *conns;
static apr_time_t started;

__attribute__((constructor)) static void start_apr(void)
{
	apr_initialize();
}

static void init(void)
{
	apr_pool_create(&store, NULL);
	started = apr_time_now();
	headers = apr_table_make(store, 2);
	apr_table_setn(headers, "Host", "example.org");
	apr_table_set(headers, "User-Agent", "curl/8.5");
	apr_table_add(headers, "Accept", "*/*");
	apr_table_add(headers, "Accept", "text/html");
	apr_table_setn(headers, "Connection", apr_pstrdup(store, "keep-alive"));
	apr_table_setn(headers, "Month", apr_month_snames[11]);
	conns = apr_array_make(store, 1, sizeof(struct conn *));
	for (int k = 0; k < NCONNS; k++) {
		apr_pool_t *p;
		apr_pool_create(&p, store);
		struct conn *c = apr_pcalloc(p, sizeof(*c));
		c->pool = p;
		c->fd = 10 + k;
		c->peer = apr_psprintf(p, "10.0.0.%d", k);
		APR_ARRAY_PUSH(conns, struct conn *) = c;
	}
}

static void check(void)
{
	CHECK(!strcmp(apr_table_get(headers, "host") ?: "", "example.org"));
	/* APR's constant array, copied into this program's read-only data
	 * (a copy relocation, as httpd's for its Date headers) */
	CHECK(!strcmp(apr_month_snames[11], "Dec"));
	CHECK(apr_table_get(headers, "Month") == apr_month_snames[11]);
	/* libapr's lazily bound GOT entry for gettimeofday, resolved to the
	 * vDSO of the process that called it first */
	CHECK(apr_time_now() >= started);
	CHECK(!strcmp(apr_table_get(headers, "User-Agent") ?: "", "curl/8.5"));
	CHECK(!strcmp(apr_table_get(headers, "Accept") ?: "", "*/*"));
	CHECK(!strcmp(apr_table_get(headers, "Connection") ?: "", "keep-alive"));
	CHECK(conns->nelts == NCONNS);
	for (int k = 0; k < NCONNS && k < conns->nelts; k++) {
		const struct conn *c = APR_ARRAY_IDX(conns, k, struct conn *);
		char peer[16];
		snprintf(peer, sizeof(peer), "10.0.0.%d", k);
		CHECK(c && c->fd == 10 + k && !strcmp(c->peer, peer) &&
		      apr_pool_parent_get(c->pool) == store);
#ifdef V2
		CHECK(c && c->bytes_in == 0 && c->keepalive == 0);
		/* it left its place after its pool's struct */
		CHECK(c && (void *)c != (void *)((char *)c->pool + 120));
#endif
	}
#ifdef V2
	/* the table gains entries: APR grows its array in the pool */
	char key[16], val[16];
	for (int k = 0; k < NEXTRA; k++) {
		snprintf(key, sizeof(key), "X-N%d", k);
		snprintf(val, sizeof(val), "%d", k * k);
		apr_table_set(headers, key, val);
	}
	for (int k = 0; k < NEXTRA; k++) {
		snprintf(key, sizeof(key), "x-n%d", k);
		snprintf(val, sizeof(val), "%d", k * k);
		CHECK(!strcmp(apr_table_get(headers, key) ?: "", val));
	}
	CHECK(!strcmp(apr_table_get(headers, "host") ?: "", "example.org"));
	CHECK(apr_table_elts(headers)->nelts == 6 + NEXTRA);
#endif
}

XT_MAIN_CHECKED(init, check)
