/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * alloc-test.h - what the allocator tests (test-alloc.c, test-heap.c,
 * test-threads.c) ask of libstf's heap, the way another process reads it.
 */
#ifndef ALLOC_TEST_H
#define ALLOC_TEST_H

#include <check.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdint.h>

#include "alloc.h"
#include "root.h"

static inline const struct stf_slot *slot_of(uint32_t i)
{
	const uint64_t *chunks = (const uint64_t *)(uintptr_t)stf__root.slot_chunks;
	return (const struct stf_slot *)(uintptr_t)chunks[i / STF_SLOTS_PER_CHUNK] +
	       i % STF_SLOTS_PER_CHUNK;
}

/* What the allocator knows of the live block holding p (all zero if
 * none). */
static inline struct stf_block_info blk(const void *p)
{
	struct stf_block_info b = { 0 };
	stf__heap_block(p, &b);
	return b;
}

/* Is a live block at address a? */
static inline bool live_at(uintptr_t a)
{
	__asm__("" : "+r"(a));
	return a && blk((const void *)a).start == a;
}

/* The marker cell, accessed like instrumented code does: the compiler
 * must neither drop nor move these accesses around the allocator call,
 * which it otherwise assumes does not read or write it. */
static inline void set_marker(uint32_t *cell)
{
	*(uint32_t *volatile *)&stf__alloc_site = cell;
}

static inline uint32_t *marker(void)
{
	return *(uint32_t *volatile *)&stf__alloc_site;
}

/* Opaque sizes: keep the compiler from judging the overflow tests. */
static inline size_t opaque(size_t n)
{
	__asm__("" : "+r"(n));
	return n;
}

/* The block is described as the allocator gave it. */
static inline void check_block(const void *p, size_t size)
{
	struct stf_block_info b;
	ck_assert_int_eq(stf__heap_block(p, &b), 1);
	ck_assert_uint_eq(b.start, (uintptr_t)p);
	ck_assert_uint_eq(b.size, size);
	ck_assert_uint_ne(b.id, 0);
	ck_assert_uint_lt(b.site, stf__root.nsites);
	ck_assert_uint_eq((uintptr_t)p % 16, 0);
	if (b.align_lg)  /* memalign & co.: the alignment they gave */
		ck_assert_uint_eq((uintptr_t)p & ((1ul << b.align_lg) - 1), 0);
	ck_assert_uint_ge(malloc_usable_size((void *)p), size);
}

static inline void site_string(uint32_t site, char *buf, size_t len)
{
	stf__site_describe(site, buf, len);
}

static inline int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Run the tests `add` adds, as one case of a suite named `name` (Check
 * forks each test); the exit status. */
static inline int run_tests(const char *name, void (*add)(TCase *tc))
{
	Suite *s = suite_create(name);
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 30);
	add(tc);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}

#endif /* ALLOC_TEST_H */
