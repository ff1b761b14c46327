/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests of the engine's parallel loops (libstf/transfer/parallel.c)
 * with the memory they allocate from several threads at once (bulk.c's
 * kept mappings, arena.c).  Built from those sources with libc standing
 * in for libstf's raw allocator, so that valgrind (memcheck, helgrind)
 * can run it: valgrind-xfer.sh.
 */
#include <check.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "alloc.h"
#include "remote.h"
#include "respawn.h"

/* libstf's raw allocator and own threads, played by libc */
void *stf__raw_malloc(size_t size) { return malloc(size); }
void *stf__raw_realloc(void *p, size_t size) { return realloc(p, size); }
void stf__raw_free(void *p) { free(p); }
void *stf__raw_mmap(void *addr, size_t len, int prot, int flags, int fd, long off)
{
	return mmap(addr, len, prot, flags, fd, off);
}
int stf__raw_munmap(void *addr, size_t len) { return munmap(addr, len); }
int stf__own_thread(pthread_t *th, void *(*fn)(void *), void *arg)
{
	return pthread_create(th, NULL, fn, arg);
}

#define N 100003

struct sums {
	unsigned parts;
	size_t lo[8], hi[8];
	uint64_t sum[8];
	int arena_ok[8];
};

/* Each part sums its range and builds an arena of its own (chunks taken
 * from and given back to bulk.c's shared cache meanwhile). */
static void sum_part(void *arg, unsigned k, size_t lo, size_t hi)
{
	struct sums *s = arg;
	struct stf_arena *a = stf__arena_new();
	s->lo[k] = lo;
	s->hi[k] = hi;
	s->arena_ok[k] = a != NULL;
	for (size_t i = lo; i < hi; i++) {
		s->sum[k] += i;
		if (a && i % 1000 == 0) {
			uint64_t *p = stf__arena_alloc(a, 64 << 10);
			if (!p || p[0] || p[8191]) /* zeroed */
				s->arena_ok[k] = 0;
			else
				p[0] = p[8191] = i;
		}
	}
	void *big = stf__bulk_alloc((size_t)3 << 20);
	if (!big)
		s->arena_ok[k] = 0;
	else
		memset(big, 1, (size_t)3 << 20);
	stf__bulk_free(big);
	stf__arena_free(a);
}

START_TEST(parts_cover_the_range_in_order)
{
	for (unsigned parts = 1; parts <= 8; parts++) {
		struct sums s;
		memset(&s, 0, sizeof(s));
		stf__parallel(N, parts, sum_part, &s);
		uint64_t total = 0;
		for (unsigned k = 0; k < parts; k++) {
			ck_assert_uint_eq(s.lo[k], k ? s.hi[k - 1] : 0);
			ck_assert_uint_le(s.hi[k] - s.lo[k], N / parts + 1);
			ck_assert(s.arena_ok[k]);
			total += s.sum[k];
		}
		ck_assert_uint_eq(s.hi[parts - 1], N);
		ck_assert_uint_eq(total, (uint64_t)N * (N - 1) / 2);
	}
	stf__bulk_trim();
}
END_TEST

START_TEST(parts_follow_the_size_and_the_setting)
{
	/* STF_XFER_THREADS is read once, on the first call */
	setenv("STF_XFER_THREADS", "3", 1);
	ck_assert_uint_eq(stf__parallel_parts(1000000, 1000), 3);
	ck_assert_uint_eq(stf__parallel_parts(2500, 1000), 2);
	ck_assert_uint_eq(stf__parallel_parts(10, 1000), 1);
	ck_assert_uint_eq(stf__parallel_parts(0, 1000), 1);
}
END_TEST

/* A loop whose objects cost unevenly: 1 MiB slab pages after 2,000
 * small objects.  Cut by count into one part per thread, one part held
 * every page; by cost into several parts per thread, which the threads
 * take in turn, each page lands in a part of its own, every part costs
 * about its share, and the parts cover the objects in order. */
START_TEST(pieces_follow_the_cost)
{
	unsigned threads = stf__parallel_parts(SIZE_MAX, 1); /* STF_XFER_THREADS: 3 */
	enum { SMALL = 2000, PAGES = 8, OBJS = SMALL + PAGES };
	static struct stf_obj objs[OBJS];
	for (size_t i = 0; i < OBJS; i++)
		objs[i].size = i < SMALL ? 32 : (size_t)1 << 20;
	size_t bounds[PARTS_MAX + 1];
	unsigned parts = stf__parallel_pieces(objs, OBJS, 1000, bounds);
	ck_assert_uint_eq(parts, threads * 8); /* 8 per thread */
	ck_assert_uint_eq(bounds[0], 0);
	ck_assert_uint_eq(bounds[parts], OBJS);
	for (unsigned k = 0; k < parts; k++) {
		ck_assert_uint_le(bounds[k], bounds[k + 1]);
		unsigned pages = 0;
		for (size_t i = bounds[k]; i < bounds[k + 1]; i++)
			pages += i >= SMALL;
		ck_assert_uint_le(pages, 1);
	}
	struct sums s;
	memset(&s, 0, sizeof(s));
	stf__parallel_cut(bounds, 8, sum_part, &s); /* the first 8 parts */
	for (unsigned k = 0; k < 8; k++) {
		ck_assert_uint_eq(s.lo[k], bounds[k]);
		ck_assert_uint_eq(s.hi[k], bounds[k + 1]);
	}
	/* small loops are not cut */
	ck_assert_uint_eq(stf__parallel_pieces(objs, 100, 1000, bounds), 1);
	ck_assert_uint_eq(bounds[1], 100);
}
END_TEST

/* A kept mapping far larger than a request stays for a later large
 * array (an array outgrowing raw malloc took the catalog's 24 MB, and
 * the pairing table of a million objects then took fresh pages). */
START_TEST(large_kept_mapping_waits_for_a_large_array)
{
	size_t big = (size_t)24 << 20;
	uint8_t *a = stf__bulk_alloc(big);
	ck_assert_ptr_nonnull(a);
	memset(a, 1, big);
	stf__bulk_free(a);
	uint8_t *small = stf__bulk_alloc((size_t)300 << 10);
	ck_assert_ptr_nonnull(small);
	ck_assert_ptr_ne(small, a);
	uint8_t *again = stf__bulk_alloc(big - 4096);
	ck_assert_ptr_eq(again, a);
	stf__bulk_free(small);
	stf__bulk_free(again);
	stf__bulk_trim();
}
END_TEST

/* stf__bulk_room: what a block holds beyond its size, kept in place by
 * stf__bulk_realloc with its contents. */
START_TEST(blocks_grow_in_place_up_to_their_room)
{
	size_t n = (size_t)3 << 20;
	uint8_t *a = stf__bulk_alloc(n);
	ck_assert_ptr_nonnull(a);
	size_t room = stf__bulk_room(a);
	ck_assert_uint_ge(room, n);
	memset(a, 7, n);
	uint8_t *b = stf__bulk_realloc(a, room);
	ck_assert_ptr_eq(b, a);
	ck_assert_uint_eq(b[n - 1], 7);
	b[room - 1] = 1;
	ck_assert_uint_eq(stf__bulk_room(b), room);
	stf__bulk_free(b);
	uint8_t *tiny = stf__bulk_alloc(100); /* on the raw allocator */
	ck_assert_ptr_nonnull(tiny);
	ck_assert_uint_eq(stf__bulk_room(tiny), 100);
	stf__bulk_free(tiny);
	stf__bulk_trim();
}
END_TEST

/* stf__bulk_realloc_kept grows an array only into touched pages: a
 * mapping kept for reuse, with the contents; else nothing changes. */
START_TEST(arrays_grow_into_kept_mappings_only)
{
	size_t big = (size_t)24 << 20;
	uint8_t *a = stf__bulk_alloc((size_t)1 << 20);
	ck_assert_ptr_nonnull(a);
	memset(a, 5, (size_t)1 << 20);
	ck_assert_ptr_null(stf__bulk_realloc_kept(a, big));
	ck_assert_uint_eq(a[((size_t)1 << 20) - 1], 5);
	uint8_t *kept = stf__bulk_alloc(big);
	ck_assert_ptr_nonnull(kept);
	stf__bulk_free(kept);
	uint8_t *b = stf__bulk_realloc_kept(a, big - 4096);
	ck_assert_ptr_eq(b, kept);
	ck_assert_uint_eq(b[0], 5);
	ck_assert_uint_eq(b[((size_t)1 << 20) - 1], 5);
	ck_assert_uint_ge(stf__bulk_room(b), big - 4096);
	ck_assert_ptr_eq(stf__bulk_realloc_kept(b, big - 8192), b); /* in place */
	stf__bulk_free(b);
	stf__bulk_trim();
}
END_TEST

/* A block stf__bulk_realloc_kept gave holds its whole mapping: the
 * catalog (metadata.c's reserve_kept) fills it up to stf__bulk_room, and
 * growing past that into another kept mapping must keep all of it (it
 * kept only the size asked: the 32,767th object on of a catalog of 64-byte
 * objects became whatever an earlier array had left there). */
START_TEST(kept_arrays_move_with_their_whole_room)
{
	size_t asked = (size_t)300 << 10;
	uint8_t *first = stf__bulk_alloc(asked);
	ck_assert_ptr_nonnull(first);
	stf__bulk_free(first); /* a 2 MiB mapping kept */
	uint8_t *a = stf__bulk_realloc_kept(NULL, asked);
	ck_assert_ptr_eq(a, first);
	size_t room = stf__bulk_room(a);
	ck_assert_uint_gt(room, asked);
	memset(a, 5, room);
	uint8_t *other = stf__bulk_alloc(2 * room);
	ck_assert_ptr_nonnull(other);
	memset(other, 9, 2 * room);
	stf__bulk_free(other); /* where a moves to: copied, not remapped */
	uint8_t *b = stf__bulk_realloc(a, 2 * room);
	ck_assert_ptr_eq(b, other);
	size_t kept = 0;
	while (kept < room && b[kept] == 5)
		kept++;
	ck_assert_uint_eq(kept, room);
	stf__bulk_free(b);
	stf__bulk_trim();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("parallel");
	TCase *tc = tcase_create("parallel");
	tcase_add_test(tc, parts_follow_the_size_and_the_setting);
	tcase_add_test(tc, parts_cover_the_range_in_order);
	tcase_add_test(tc, pieces_follow_the_cost);
	tcase_add_test(tc, large_kept_mapping_waits_for_a_large_array);
	tcase_add_test(tc, blocks_grow_in_place_up_to_their_room);
	tcase_add_test(tc, arrays_grow_into_kept_mappings_only);
	tcase_add_test(tc, kept_arrays_move_with_their_whole_room);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	/* no fork: valgrind follows one process */
	srunner_set_fork_status(sr, CK_NOFORK);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
