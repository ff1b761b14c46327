/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unit tests of the sorted-range index (libstf/index.c) and of the
 * memory the transfer gives its large indexes (transfer/index-pages.c,
 * built with bulk.c on libc standing in for libstf's raw allocator). */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include "alloc.h"
#include "index.h"
#include "remote.h"

void *stf__raw_malloc(size_t size) { return malloc(size); }
void *stf__raw_realloc(void *p, size_t size) { return realloc(p, size); }
void stf__raw_free(void *p) { free(p); }
void *stf__raw_mmap(void *addr, size_t len, int prot, int flags, int fd, long off)
{
	return mmap(addr, len, prot, flags, fd, off);
}
int stf__raw_munmap(void *addr, size_t len) { return munmap(addr, len); }

START_TEST(finds_containing_range)
{
	struct stf_index ix = STF_INDEX_INIT;
	ck_assert_int_eq(stf__index_add(&ix, 0x3000, 0x100, 3), 0);
	ck_assert_int_eq(stf__index_add(&ix, 0x1000, 0x10, 1), 0);
	ck_assert_int_eq(stf__index_add(&ix, 0x2000, 0x20, 2), 0);
	ck_assert_int_eq(stf__index_sort(&ix, NULL, NULL), 0);
	ck_assert_ptr_null(stf__index_find(&ix, 0xfff, 0));
	ck_assert_uint_eq(stf__index_find(&ix, 0x1000, 0)->value, 1);
	ck_assert_uint_eq(stf__index_find(&ix, 0x100f, 0)->value, 1);
	ck_assert_ptr_null(stf__index_find(&ix, 0x1010, 0));
	ck_assert_uint_eq(stf__index_find(&ix, 0x201f, 0)->value, 2);
	ck_assert_uint_eq(stf__index_find(&ix, 0x30ff, 0)->value, 3);
	ck_assert_ptr_null(stf__index_find(&ix, 0x3100, 0));
	stf__index_free(&ix);
}
END_TEST

START_TEST(one_past_the_end)
{
	struct stf_index ix = STF_INDEX_INIT;
	stf__index_add(&ix, 0x1000, 0x10, 1);
	stf__index_add(&ix, 0x1010, 0x10, 2); /* adjacent */
	stf__index_add(&ix, 0x2000, 0, 3);    /* zero-sized */
	stf__index_sort(&ix, NULL, NULL);
	/* inside the next range wins over one past the previous */
	ck_assert_uint_eq(stf__index_find(&ix, 0x1010, STF_INDEX_END)->value, 2);
	ck_assert_uint_eq(stf__index_find(&ix, 0x1020, STF_INDEX_END)->value, 2);
	ck_assert_ptr_null(stf__index_find(&ix, 0x1020, 0));
	ck_assert_uint_eq(stf__index_find(&ix, 0x2000, STF_INDEX_END)->value, 3);
	ck_assert_ptr_null(stf__index_find(&ix, 0x2000, 0));
	ck_assert_ptr_null(stf__index_find(&ix, 0x2001, STF_INDEX_END));
	stf__index_free(&ix);
}
END_TEST

START_TEST(reports_overlap)
{
	struct stf_index ix = STF_INDEX_INIT;
	const struct stf_range *a = NULL, *b = NULL;
	stf__index_add(&ix, 0x1000, 0x20, 1);
	stf__index_add(&ix, 0x1010, 0x20, 2);
	ck_assert_int_eq(stf__index_sort(&ix, &a, &b), -1);
	ck_assert_uint_eq(a->value, 1);
	ck_assert_uint_eq(b->value, 2);
	stf__index_free(&ix);
}
END_TEST

/* Large random sets, compared against a linear search. */
START_TEST(random_against_linear)
{
	struct stf_index ix = STF_INDEX_INIT;
	enum { N = 20000 };
	static uint64_t start[N], size[N];
	srand(12345 + _i);
	uint64_t pos = 0x10000;
	for (int i = 0; i < N; i++) {
		pos += rand() % 64;
		start[i] = pos;
		size[i] = rand() % 48;
		pos += size[i];
	}
	/* insert in a scrambled order */
	for (int i = 0; i < N; i++) {
		int k = (int)(((uint64_t)i * 7919) % N);
		ck_assert_int_eq(stf__index_add(&ix, start[k], size[k], (uint64_t)k), 0);
	}
	ck_assert_int_eq(stf__index_sort(&ix, NULL, NULL), 0);
	for (int q = 0; q < 20000; q++) {
		uint64_t addr = 0x10000 + (uint64_t)rand() % (pos - 0x10000 + 100);
		int want = -1;
		for (int i = 0; i < N; i++)
			if (addr >= start[i] && addr < start[i] + size[i])
				want = i;
		const struct stf_range *r = stf__index_find(&ix, addr, 0);
		if (want < 0)
			ck_assert_ptr_null(r);
		else
			ck_assert_int_eq((int)r->value, want);
	}
	stf__index_reset(&ix);
	ck_assert_ptr_null(stf__index_find(&ix, start[0], 0));
	stf__index_free(&ix);
}
END_TEST

/* Clusters far apart (heap, statics, libraries, stack), dense and sparse,
 * with large and zero-sized ranges, against the definition: the last
 * range starting at or below the address, if it contains it (or ends
 * there, with STF_INDEX_END). */
START_TEST(clusters_against_definition)
{
	struct stf_index ix = STF_INDEX_INIT;
	enum { N = 30000 };
	static uint64_t start[N], size[N];
	static const uint64_t bases[] = { 0x400000, 0x5555550000, 0x7f0000000000,
					  0x7ffff0000000 };
	srand(777 + _i);
	int n = 0;
	for (int c = 0; c < 4; c++) {
		uint64_t pos = bases[c];
		int count = c == 1 ? N - 3 * 2000 : 2000;
		for (int i = 0; i < count; i++, n++) {
			int big = rand() % 100 == 0;
			pos += (uint64_t)(rand() % (c == 2 ? 5000 : 40));
			start[n] = pos;
			size[n] = big ? (uint64_t)(rand() % 200000) : (uint64_t)(rand() % 64);
			pos += size[n];
		}
	}
	for (int i = 0; i < n; i++) {
		int k = (int)(((uint64_t)i * 7919) % n);
		ck_assert_int_eq(stf__index_add(&ix, start[k], size[k], (uint64_t)k), 0);
	}
	ck_assert_int_eq(stf__index_sort(&ix, NULL, NULL), 0);
	for (int q = 0; q < 5000; q++) {  /* against a linear scan: keep it short */
		int k = rand() % n;
		uint64_t addr = start[k] + (uint64_t)(rand() % (int)(size[k] + 80)) - 8;
		unsigned flags = q & 1 ? STF_INDEX_END : 0;
		int cand = -1;
		for (int i = 0; i < n; i++)
			if (start[i] <= addr && (cand < 0 || start[i] > start[cand] ||
						 (start[i] == start[cand] && size[i] > size[cand])))
				cand = i;
		int want = cand >= 0 && (addr - start[cand] < size[cand] ||
					 (flags && addr - start[cand] == size[cand])) ? cand : -1;
		const struct stf_range *r = stf__index_find(&ix, addr, flags);
		if (want < 0)
			ck_assert_ptr_null(r);
		else
			ck_assert_int_eq((int)r->value, want);
	}
	ck_assert_ptr_null(stf__index_find(&ix, bases[0] - 1, STF_INDEX_END));
	stf__index_free(&ix);
}
END_TEST

/* Mostly in order, as a catalog adds them (statics elsewhere, then the
 * heap by address), with a few out of place before, inside and after
 * the long run: every range is found where it is, in order. */
START_TEST(mostly_sorted)
{
	struct stf_index ix = STF_INDEX_INIT;
	const size_t n = 20000;
	/* statics far above the heap, added first, descending */
	for (size_t k = 0; k < 300; k++)
		stf__index_add(&ix, 0x7000000000 - k * 0x100, 0x10, 1000000 + k);
	for (size_t k = 0; k < n; k++) {
		stf__index_add(&ix, 0x100000000 + k * 0x40, 0x30, k);
		if (k == n / 2) /* one out of place in the run */
			stf__index_add(&ix, 0x50, 0x8, 2000000);
	}
	for (size_t k = 0; k < 100; k++) /* and after it, below */
		stf__index_add(&ix, 0x1000 + (k * 7919 % 100) * 0x20, 0x10, 3000000 + k);
	ck_assert_int_eq(stf__index_sort(&ix, NULL, NULL), 0);
	ck_assert_uint_eq(ix.n, n + 401);
	for (size_t i = 1; i < ix.n; i++)
		ck_assert(ix.ranges[i - 1].start < ix.ranges[i].start);
	ck_assert_uint_eq(stf__index_find(&ix, 0x50, 0)->value, 2000000);
	ck_assert_uint_eq(stf__index_find(&ix, 0x100000000 + 777 * 0x40 + 0x2f, 0)->value, 777);
	ck_assert_ptr_null(stf__index_find(&ix, 0x100000000 + 777 * 0x40 + 0x30, 0));
	ck_assert_uint_eq(stf__index_find(&ix, 0x7000000000 - 5 * 0x100, 0)->value, 1000005);
	ck_assert_uint_eq(stf__index_find(&ix, 0x1000 + 3 * 0x20, 0)->value, 3000037); /* 37 * 7919 % 100 == 3 */
	stf__index_free(&ix);
}
END_TEST

/* A freed index's array serves the next index (its pages are touched
 * already), the largest one only, until stf__index_trim. */
/* stf__index_find_near gives stf__index_find's answer whatever its hint:
 * lookups in address order (the hint's range and the next one), random
 * ones, one past the end, overlapping ranges (merged literals) and a
 * zero-sized range. */
START_TEST(near_same_as_find)
{
	struct stf_index ix = STF_INDEX_INIT;
	enum { N = 5000 };
	srand(777 + _i);
	uint64_t pos = 0x10000;
	for (int i = 0; i < N; i++) {
		uint64_t size = (uint64_t)(rand() % 4 ? rand() % 64 : 0);
		ck_assert_int_eq(stf__index_add(&ix, pos, size, (uint64_t)i), 0);
		if (rand() % 50 == 0) /* an overlapping range */
			ck_assert_int_eq(stf__index_add(&ix, pos + 1, size + 8, (uint64_t)i + N), 0);
		pos += size + (uint64_t)(rand() % 3) * 8;
	}
	stf__index_sort(&ix, NULL, NULL);
	const struct stf_range *hint = NULL;
	for (int q = 0; q < 40000; q++) {
		/* half in order (from the last hit), half anywhere */
		uint64_t addr = q % 2 && hint ? hint->start + hint->size + (uint64_t)(rand() % 24) :
			0x10000 - 8 + (uint64_t)rand() % (pos - 0x10000 + 16);
		unsigned flags = rand() % 2 ? STF_INDEX_END : 0;
		const struct stf_range *want = stf__index_find(&ix, addr, flags);
		ck_assert_ptr_eq(stf__index_find_near(&ix, addr, flags, &hint), want);
		if (want)
			ck_assert_ptr_eq(hint, want);
	}
	stf__index_free(&ix);
}
END_TEST

/* stf__index_prefetch takes any words: zero, below and past every
 * cluster, the largest cluster's bucket bounds, words that are no
 * address at all, on an empty, an unsorted and a sorted index, more
 * bytes than it looks at; the answers stay the same. */
START_TEST(prefetch_any_word)
{
	struct stf_index ix = STF_INDEX_INIT;
	enum { N = 3000 };
	uint64_t words[40] = { 0, 1, 0x1000 - 8, 0x1000, UINT64_MAX, UINT64_MAX - 7,
			       0x8000000000000000ull, 0x00007fffffffffffull };
	for (int i = 8; i < 40; i++)
		words[i] = 0x1000 + (uint64_t)i * 977 * 48;
	stf__index_prefetch(&ix, words, sizeof(words), STF_PREFETCH_BUCKETS);
	stf__index_prefetch(&ix, words, sizeof(words), STF_PREFETCH_RANGES);
	for (int i = 0; i < N; i++)
		ck_assert_int_eq(stf__index_add(&ix, 0x1000 + (uint64_t)(N - 1 - i) * 48, 40,
						(uint64_t)(N - 1 - i)), 0);
	stf__index_add(&ix, 0x7f0000000000ull, 4096, N); /* another cluster */
	stf__index_prefetch(&ix, words, sizeof(words), STF_PREFETCH_RANGES); /* unsorted */
	stf__index_sort(&ix, NULL, NULL);
	words[8] = 0x1000 + (uint64_t)(N - 1) * 48; /* the last range of the heap's */
	words[9] = 0x7f0000000000ull;
	for (int stage = STF_PREFETCH_BUCKETS; stage <= STF_PREFETCH_RANGES; stage++) {
		stf__index_prefetch(&ix, words, sizeof(words), stage);
		stf__index_prefetch(&ix, (const uint8_t *)words + 3, 13, stage);
		stf__index_prefetch(&ix, NULL, 64, stage);
	}
	for (int i = 0; i < 40; i++) {
		const struct stf_range *r = stf__index_find(&ix, words[i], 0);
		uint64_t off = words[i] - 0x1000;
		if (words[i] >= 0x1000 && off < (uint64_t)N * 48 && off % 48 < 40)
			ck_assert_uint_eq(r->value, off / 48);
		else if (words[i] == 0x7f0000000000ull)
			ck_assert_uint_eq(r->value, N);
		else
			ck_assert_ptr_null(r);
	}
	stf__index_free(&ix);
}
END_TEST

START_TEST(keeps_largest_array)
{
	struct stf_index a = STF_INDEX_INIT, b = STF_INDEX_INIT, c = STF_INDEX_INIT;
	stf__index_trim();
	ck_assert_int_eq(stf__index_reserve(&a, 100000), 0);
	ck_assert_int_eq(stf__index_reserve(&b, 1000), 0);
	size_t big = a.cap;
	stf__index_free(&a);
	stf__index_free(&b); /* smaller: unmapped */
	ck_assert_int_eq(stf__index_add(&c, 0x1000, 0x10, 1), 0);
	ck_assert_uint_ge(c.cap, big);
	for (size_t k = 0; k < big; k++) /* all of it is usable */
		ck_assert_int_eq(stf__index_add(&c, 0x2000 + k * 0x10, 0x10, k), 0);
	ck_assert_int_eq(stf__index_sort(&c, NULL, NULL), 0);
	ck_assert_uint_eq(stf__index_find(&c, 0x2000 + 500 * 0x10, 0)->value, 500);
	stf__index_free(&c);
	stf__index_trim();
	ck_assert_int_eq(stf__index_add(&a, 0x1000, 0x10, 1), 0);
	ck_assert_uint_lt(a.cap, big);
	stf__index_free(&a);
	/* prepared room is taken the same way */
	stf__index_prepare(50000);
	ck_assert_int_eq(stf__index_add(&b, 0x1000, 0x10, 1), 0);
	ck_assert_uint_ge(b.cap, 50000);
	stf__index_free(&b);
	stf__index_trim();
}
END_TEST

/* kB of the smaps field `field` of the mapping holding addr, -1 if none */
static long smaps_kb(const void *addr, const char *field)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[256];
	int in = 0;
	long kb = -1;
	size_t flen = strlen(field);
	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2 && strchr(line, '-') < strchr(line, ' '))
			in = (uintptr_t)addr >= lo && (uintptr_t)addr < hi;
		else if (in && !strncmp(line, field, flen) && line[flen] == ':')
			kb = atol(line + flen + 1);
	}
	fclose(f);
	return kb;
}

static int huge_pages_on_request(void)
{
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");
	char line[128] = "";
	if (f) {
		if (!fgets(line, sizeof(line), f))
			line[0] = 0;
		fclose(f);
	}
	return strstr(line, "[always]") || strstr(line, "[madvise]");
}

/* A transfer's index of a million objects: populated at once, on huge
 * pages where the system gives them (a fault per 4 KiB page, and on
 * virtual machines as much again on the first write, was 0.1-0.2 s). */
START_TEST(large_index_populated_on_huge_pages)
{
	struct stf_index ix = STF_INDEX_INIT;
	size_t n = (size_t)1 << 20;
	stf__index_trim();
	ck_assert_int_eq(stf__peer_index_reserve(&ix, n), 0);
	ck_assert_uint_ge(ix.cap, n);
	ck_assert_int_ge(smaps_kb(ix.ranges, "Rss"), (long)(n * sizeof(struct stf_range) / 1024));
	if (huge_pages_on_request())
		ck_assert_int_ge(smaps_kb(ix.ranges, "AnonHugePages"), 2048);
	else
		fprintf(stderr, "test-index: no transparent huge pages here, not checked\n");
	stf__index_free(&ix);
	stf__index_trim();
}
END_TEST

/* Room prepared while the reversed version waits serves its next index
 * without a fault. */
START_TEST(prepared_index_takes_no_faults)
{
	struct stf_index ix = STF_INDEX_INIT;
	struct rusage before, after;
	size_t n = (size_t)1 << 20;
	stf__index_trim();
	stf__peer_index_prepare(n);
	getrusage(RUSAGE_SELF, &before);
	for (size_t k = 0; k < n; k++)
		ck_assert_int_eq(stf__index_add(&ix, 0x1000 + k * 0x10, 0x10, k), 0);
	getrusage(RUSAGE_SELF, &after);
	ck_assert_int_lt(after.ru_minflt - before.ru_minflt, 64);
	stf__index_free(&ix);
	stf__index_trim();
}
END_TEST

int main(void)
{
	Suite *s = suite_create("index");
	TCase *tc = tcase_create("index");
	tcase_set_timeout(tc, 60);  /* a loaded CI machine */
	tcase_add_test(tc, finds_containing_range);
	tcase_add_test(tc, one_past_the_end);
	tcase_add_test(tc, reports_overlap);
	tcase_add_test(tc, mostly_sorted);
	tcase_add_test(tc, keeps_largest_array);
	tcase_add_test(tc, large_index_populated_on_huge_pages);
	tcase_add_test(tc, prepared_index_takes_no_faults);
	tcase_add_test(tc, prefetch_any_word);
	tcase_add_loop_test(tc, random_against_linear, 0, 2);
	tcase_add_loop_test(tc, clusters_against_definition, 0, 2);
	tcase_add_loop_test(tc, near_same_as_find, 0, 3);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
