/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests of the pages of free objects given back (runtime/purge.c):
 * a heap built, partly freed and grown with other sizes gives back the
 * pages its freed objects filled, and hands those objects out again,
 * intact, once its other free objects are used; a small share of free
 * objects stays.
 */
#include <check.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "alloc.h"
#include "root.h"
#include "alloc-test.h"

enum { N = 4096, SIZE = 2000, OTHER = 300, OTHERS = 24000 };

static char *blocks[N];
static uintptr_t gone[N];   /* [i]: block i's address if it was freed */
static void *others[OTHERS];

static bool three_of_four(int i)
{
	return i % 4 != 0;
}

/* Blocks of 2,000 B (class 2,048: two a page), those `freed` says freed
 * (three of every four: the pages of two freed ones then hold free
 * objects only).  A short wait lets libstf's collapser turn the filled
 * ranges into huge pages first (it would fault given-back pages in
 * again). */
static void build_and_free(bool (*freed)(int i))
{
	for (int i = 0; i < N; i++) {
		blocks[i] = malloc(SIZE);
		ck_assert_ptr_nonnull(blocks[i]);
		memset(blocks[i], i & 0xff, SIZE);
	}
	usleep(300000);
	for (int i = 0; i < N; i++) {
		gone[i] = 0;
		if (freed(i)) {
			gone[i] = (uintptr_t)blocks[i];
			free(blocks[i]);
			blocks[i] = NULL;
		}
	}
}

/* Another class's objects make the heap grow. */
static void grow_others(void)
{
	for (int i = 0; i < OTHERS; i++) {
		others[i] = malloc(OTHER);
		ck_assert_ptr_nonnull(others[i]);
		memset(others[i], 7, OTHER);
	}
}

static void free_all(void)
{
	for (int i = 0; i < OTHERS; i++)
		free(others[i]);
	for (int i = 0; i < N; i++)
		free(blocks[i]);
}

/* Pages of free objects resident of the freed blocks [i] whose block
 * [i + 1] was freed too, filling their page (2,048 B objects), and how
 * many such pages there are. */
static int resident_pages(int *pages)
{
	long page = sysconf(_SC_PAGESIZE);
	int resident = 0;
	*pages = 0;
	for (int i = 0; i + 1 < N; i++)
		if (gone[i] && gone[i] % (uintptr_t)page == 0 && gone[i + 1] == gone[i] + 2048) {
			unsigned char v;
			ck_assert_int_eq(mincore((void *)gone[i], (size_t)page, &v), 0);
			resident += v & 1;
			++*pages;
		}
	return resident;
}

/* The heap grows: the pages the freed 2,000 B blocks filled go back to
 * the kernel. */
START_TEST(freed_pages_go_back)
{
	build_and_free(three_of_four);
	grow_others();
	int pages, resident = resident_pages(&pages);
	ck_assert_int_gt(pages, N / 8);
	ck_assert_msg(resident < pages / 4, "%d of %d pages of freed objects resident", resident,
		      pages);
	free_all();
}
END_TEST

/* The heap grows by large blocks: the pages of the freed 2,000 B blocks
 * stay (they cannot hold a large block; before, they went back as
 * large blocks took fresh units: Redis's sds strings growing past 16
 * KiB, sdsgrow, a quarter of its time in madvise and faults). */
START_TEST(large_blocks_leave_free_pages)
{
	enum { LARGE = 64, LARGE_SIZE = 100000 };
	char *large[LARGE];
	build_and_free(three_of_four);
	for (int i = 0; i < LARGE; i++) {
		large[i] = malloc(LARGE_SIZE);
		ck_assert_ptr_nonnull(large[i]);
		memset(large[i], 5, LARGE_SIZE);
	}
	int pages, resident = resident_pages(&pages);
	ck_assert_int_gt(pages, N / 8);
	ck_assert_msg(resident == pages, "%d of %d pages of freed objects resident", resident,
		      pages);
	for (int i = 0; i < LARGE; i++)
		free(large[i]);
	for (int i = 0; i < N; i++)
		free(blocks[i]);
}
END_TEST

static bool two_of_sixteen(int i)
{
	return i % 16 == 2 || i % 16 == 3;
}

/* One block in eight freed (two of sixteen, a page's worth together),
 * then the heap grown as above: what is free is a program's working
 * stock of a class (about a fifth of a heap whose strings go through the
 * classes in turn), not given back page by page (before: every such
 * page, a system call each, sdsgrow 1.5x glibc's time). */
START_TEST(working_stock_stays)
{
	build_and_free(two_of_sixteen);
	grow_others();
	int pages, resident = resident_pages(&pages);
	ck_assert_int_gt(pages, N / 64);
	ck_assert_msg(resident == pages, "%d of %d pages of freed objects resident", resident,
		      pages);
	free_all();
}
END_TEST

/* The objects of the given-back pages come back once the others are
 * used: as many blocks as were freed take (almost) no new unit, each is
 * distinct and live, and the kept blocks keep their bytes. */
START_TEST(purged_objects_come_back)
{
	build_and_free(three_of_four);
	for (int i = 0; i < OTHERS; i++)
		others[i] = malloc(OTHER);
	uint64_t units = stf__root.heap_units;
	static char *again[N];
	int n = 0;
	for (int i = 0; i < N; i++)
		if (i % 4) {
			again[n] = malloc(SIZE);
			ck_assert_ptr_nonnull(again[n]);
			ck_assert_uint_eq(blk(again[n]).start, (uintptr_t)again[n]);
			memset(again[n], 0xee, SIZE);
			n++;
		}
	ck_assert_msg(stf__root.heap_units <= units + 2, "%llu units, then %llu",
		      (unsigned long long)units, (unsigned long long)stf__root.heap_units);
	static char want[SIZE];
	for (int i = 0; i < N; i += 4) {
		memset(want, i & 0xff, SIZE);
		ck_assert_int_eq(memcmp(blocks[i], want, SIZE), 0);
	}
	memset(want, 0xee, SIZE);
	for (int i = 0; i < n; i++)
		ck_assert_int_eq(memcmp(again[i], want, SIZE), 0);
	for (int i = 0; i < n; i++)
		free(again[i]);
	for (int i = 0; i < OTHERS; i++)
		free(others[i]);
	for (int i = 0; i < N; i += 4)
		free(blocks[i]);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, freed_pages_go_back);
	tcase_add_test(tc, large_blocks_leave_free_pages);
	tcase_add_test(tc, purged_objects_come_back);
	tcase_add_test(tc, working_stock_stays);
}

int main(void)
{
	return run_tests("purge", add_tests);
}
