/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests of blocks over several free objects of a smaller class
 * (runtime/wide.c): a heap of small blocks, mostly freed, then followed
 * by larger ones puts them in the freed memory instead of growing, and
 * such a block is a block like any other: described from its start and
 * from inside, enumerated with its size, freed (by its thread or
 * another) and reallocated with its bytes.  Over objects of either
 * metadata form (root.h: a compact entry's block keeps its size in the
 * next entry), never over those whose entries lie between them.
 */
#include <check.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "root.h"
#include "alloc-test.h"

/* 100 B blocks (objects of 112 B, compact entries), 7 of every 8 freed:
 * runs of 7 free objects (784 B) between live ones; then blocks of 500 B
 * (class 512, none free), 5 objects each. */
enum { N = 8192, SMALL = 100, WIDE = 500, M = 600, MANY = 2000, LARGEST = 1000 };  /* (LARGEST: of the blocks below) */

static char *small[N];
static size_t small_size;    /* theirs */
static uintptr_t lo, hi;     /* the small blocks' range */

static void build_and_free(size_t size)
{
	small_size = size;
	lo = UINTPTR_MAX;
	hi = 0;
	for (int i = 0; i < N; i++) {
		small[i] = malloc(size);
		ck_assert_ptr_nonnull(small[i]);
		memset(small[i], i & 0xff, size);
		lo = (uintptr_t)small[i] < lo ? (uintptr_t)small[i] : lo;
		hi = (uintptr_t)small[i] + size > hi ? (uintptr_t)small[i] + size : hi;
	}
	for (int i = 0; i < N; i++)
		if (i % 8) {
			free(small[i]);
			small[i] = NULL;
		}
}

static void check_small_kept(void)
{
	static char want[LARGEST];
	for (int i = 0; i < N; i += 8) {
		memset(want, i & 0xff, small_size);
		ck_assert_int_eq(memcmp(small[i], want, small_size), 0);
		free(small[i]);
	}
}

static int inside(const void *p)
{
	return (uintptr_t)p >= lo && (uintptr_t)p < hi;
}

/* n blocks of wide bytes after blocks of small ones were freed go into
 * the freed memory: (almost) no new unit, and each is described from its
 * start and from inside. */
static void wide_blocks_fill(size_t small, size_t wide, int n)
{
	build_and_free(small);
	uint64_t units = stf__root.heap_units;
	static char *w[MANY];
	int in = 0;
	for (int i = 0; i < n; i++) {
		w[i] = malloc(wide);
		ck_assert_ptr_nonnull(w[i]);
		memset(w[i], 0x5a, wide);
		check_block(w[i], wide);
		struct stf_block_info b = blk(w[i] + wide - 1);
		ck_assert_uint_eq(b.start, (uintptr_t)w[i]);
		ck_assert_uint_eq(b.size, wide);
		ck_assert_uint_eq(blk(w[i] + wide / 2).start, (uintptr_t)w[i]);
		in += inside(w[i]);
	}
	/* (the others: free objects of their class, which the program's
	 * startup allocated) */
	ck_assert_msg(in >= n / 2, "%d of %d blocks of %zu B in the freed memory of %zu B ones",
		      in, n, wide, small);
	ck_assert_msg(stf__root.heap_units <= units + 1, "%llu units, then %llu",
		      (unsigned long long)units, (unsigned long long)stf__root.heap_units);
	static char want[LARGEST];
	memset(want, 0x5a, wide);
	for (int i = 0; i < n; i++) {
		ck_assert_int_eq(memcmp(w[i], want, wide), 0);
		free(w[i]);
	}
	check_small_kept();
}

/* Over objects of compact entries (before, with compact entries up to
 * 128 B, none of the 500 B blocks went over the 100 B ones' objects). */
START_TEST(wide_blocks_take_freed_memory)
{
	wide_blocks_fill(SMALL, WIDE, M);
}
END_TEST

/* Over objects of 16-byte entries: 1,000 B over 5 of 208 B. */
START_TEST(wide_blocks_over_long_entries)
{
	wide_blocks_fill(200, 1000, M);
}
END_TEST

/* A block of a compact class over objects of a smaller one: 90 B over
 * 3 of 32 B, as many as 3 spans of 96 B hold, the first of which is the
 * thread's spare (before, blocks of up to 144 B never went over
 * others). */
START_TEST(compact_blocks_over_compact_objects)
{
	wide_blocks_fill(30, 90, MANY);
}
END_TEST

/* Never over blocks of 16 to 24 B: their entries lie between them (a
 * block over them would hold its own entry, root.h). */
START_TEST(never_over_trailer_entries)
{
	build_and_free(20);
	const struct stf_span *spans = (const struct stf_span *)(uintptr_t)stf__root.spans;
	static char *w[M];
	for (int i = 0; i < M; i++) {
		w[i] = malloc(60);
		memset(w[i], 0x5a, 60);
		check_block(w[i], 60);
		ck_assert_uint_ne(spans[((uintptr_t)w[i] - stf__root.heap_base) >>
					STF_SPAN_SHIFT].obj_size, STF_TRAILER_SIZE);
	}
	for (int i = 0; i < M; i++)
		free(w[i]);
	check_small_kept();
}
END_TEST

struct found { uintptr_t at; uint64_t size; int seen, inner; };

static int visit(void *ctx, uint64_t addr, uint64_t size, uint32_t kind)
{
	struct found *f = ctx;
	if (kind != STF_SLOT_HEAP)
		return 0;
	if (addr == f->at) {
		f->seen++;
		f->size = size;
	} else if (addr > f->at && addr < f->at + WIDE) {
		f->inner++;
	}
	return 0;
}

/* The enumeration (as the transfer sees the heap) gives a wide block
 * once, with its size, and nothing inside it; realloc moves it with its
 * bytes; its objects serve the small class again once it is freed. */
START_TEST(wide_block_enumerated_moved_freed)
{
	build_and_free(SMALL);
	char *p = malloc(WIDE);
	ck_assert(inside(p));
	for (int i = 0; i < WIDE; i++)
		p[i] = (char)i;
	struct found f = { (uintptr_t)p, 0, 0, 0 };
	stf__objects_each(visit, &f);
	ck_assert_int_eq(f.seen, 1);
	ck_assert_uint_eq(f.size, WIDE);
	ck_assert_int_eq(f.inner, 0);
	char *q = realloc(p, WIDE + 20);
	ck_assert_ptr_nonnull(q);
	for (int i = 0; i < WIDE; i++)
		ck_assert_int_eq(q[i], (char)i);
	check_block(q, WIDE + 20);
	char *r = realloc(q, 40);
	for (int i = 0; i < 40; i++)
		ck_assert_int_eq(r[i], (char)i);
	check_block(r, 40);
	free(r);
	/* the freed objects are free ones of their class again */
	uint64_t units = stf__root.heap_units;
	static char *again[N];
	int n = 0;
	for (int i = 0; i < N; i++)
		if (i % 8)
			again[n++] = malloc(SMALL);
	ck_assert_uint_le(stf__root.heap_units, units + 1);
	for (int i = 0; i < n; i++)
		free(again[i]);
	check_small_kept();
}
END_TEST

/* realloc keeps a wide block where it is while it covers as many
 * objects (a string grown by appends: before, each realloc of a wide
 * block moved it, and malloc-bench's strings spent 55% of its
 * instructions finding runs for the moves); one more object moves it. */
START_TEST(wide_block_grows_in_place)
{
	build_and_free(SMALL);
	enum { OBJ = 112, COVER = (WIDE + OBJ) / OBJ * OBJ };  /* 5 objects */
	/* (the first ones may be free objects of their class, 512 B) */
	const struct stf_span *spans = (const struct stf_span *)(uintptr_t)stf__root.spans;
	static char *before[M];
	char *p;
	int n = 0;
	while (p = malloc(WIDE), spans[((uintptr_t)p - stf__root.heap_base) >>
				      STF_SPAN_SHIFT].obj_size != OBJ) {
		ck_assert_int_lt(n, M);
		before[n++] = p;
	}
	for (int i = 0; i < WIDE; i++)
		p[i] = (char)i;
	static const size_t same[] = { WIDE + 1, COVER - 1, COVER - OBJ };
	for (unsigned k = 0; k < sizeof same / sizeof same[0]; k++) {
		ck_assert_ptr_eq(realloc(p, same[k]), p);
		check_block(p, same[k]);
		ck_assert_uint_eq(blk(p + same[k] - 1).start, (uintptr_t)p);
	}
	struct found f = { (uintptr_t)p, 0, 0, 0 };
	stf__objects_each(visit, &f);
	ck_assert_int_eq(f.seen, 1);
	ck_assert_uint_eq(f.size, COVER - OBJ);
	char *q = realloc(p, COVER);
	ck_assert_ptr_ne(q, p);
	for (int i = 0; i < COVER - OBJ; i++)
		ck_assert_int_eq(q[i], (char)i);
	check_block(q, COVER);
	free(q);
	while (n)
		free(before[--n]);
	check_small_kept();
}
END_TEST

static void *free_all(void *arg)
{
	char **w = arg;
	for (int i = 0; i < M; i++)
		free(w[i]);
	return NULL;
}

/* Another thread frees them: their objects go back to the owner's
 * spans, which hand them out again. */
START_TEST(wide_blocks_freed_by_another_thread)
{
	build_and_free(SMALL);
	static char *w[M];
	for (int i = 0; i < M; i++)
		w[i] = malloc(WIDE);
	pthread_t t;
	ck_assert_int_eq(pthread_create(&t, NULL, free_all, w), 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	uint64_t units = stf__root.heap_units;
	for (int i = 0; i < M; i++) {
		w[i] = malloc(WIDE);
		memset(w[i], 1, WIDE);
		check_block(w[i], WIDE);
	}
	ck_assert_uint_le(stf__root.heap_units, units + 2);
	for (int i = 0; i < M; i++)
		free(w[i]);
	check_small_kept();
}
END_TEST

static void add_tests(TCase *tc)
{
	/* (valgrind.sh runs them in one process: each new size last) */
	tcase_add_test(tc, wide_blocks_take_freed_memory);
	tcase_add_test(tc, wide_block_enumerated_moved_freed);
	tcase_add_test(tc, wide_block_grows_in_place);
	tcase_add_test(tc, wide_blocks_freed_by_another_thread);
	tcase_add_test(tc, wide_blocks_over_long_entries);
	tcase_add_test(tc, compact_blocks_over_compact_objects);
	tcase_add_test(tc, never_over_trailer_entries);
}

int main(void)
{
	return run_tests("wide", add_tests);
}
