/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A string in an APR pool whose block, rounded up to 8 bytes, keeps in
 * its last bytes what the pool held there before it was cleared: the
 * high bytes of a pointer into this program's code, so that the word
 * ending the string reads like a place in the executable where no
 * function or object is (httpd's "maxrequestworkers").  The word is the
 * string's, kept as it is (before: the update rolled back, "a pointer
 * into ... where no function or static object of the program is").
 * The code is a function of 128 KiB of no-ops, never called nor
 * address-taken, so that the stale word, a pointer to its middle with
 * its two low bytes overwritten, still lies in it. */
#include <stdint.h>
#include <apr_general.h>
#include <apr_pools.h>
#include <apr_strings.h>
#include "xt.h"

#define NAME "0123456789abcdefg" /* 17 bytes: its NUL at byte 1 of a word */

extern const char apr20_pad_mid[];
void apr20_pad_code(void);
void apr20_pad_code(void)
{
	__asm__ volatile(".fill 0x10000, 1, 0x90\n"
			 ".globl apr20_pad_mid\n"
			 "apr20_pad_mid:\n"
			 ".fill 0x10000, 1, 0x90");
}

static apr_pool_t *store;
static const char *name;
#ifdef V2
static int added;
#endif

__attribute__((constructor)) static void start_apr(void)
{
	apr_initialize();
}

static void init(void)
{
	uint64_t old[3] = { 0, 0, (uint64_t)(uintptr_t)apr20_pad_mid };
	apr_pool_create(&store, NULL);
	apr_pmemdup(store, old, sizeof(old));
	apr_pool_clear(store);
	name = apr_pstrdup(store, NAME);
}

static void check(void)
{
	CHECK(name && !strcmp(name, NAME));
#ifdef V2
	CHECK(added == 0);
#endif
}

XT_MAIN_CHECKED(init, check)
