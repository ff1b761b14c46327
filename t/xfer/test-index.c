/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unit tests of the sorted-range index (libstf/index.c). */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "index.h"

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

int main(void)
{
	Suite *s = suite_create("index");
	TCase *tc = tcase_create("index");
	tcase_set_timeout(tc, 60);  /* a loaded CI machine */
	tcase_add_test(tc, finds_containing_range);
	tcase_add_test(tc, one_past_the_end);
	tcase_add_test(tc, reports_overlap);
	tcase_add_loop_test(tc, random_against_linear, 0, 2);
	tcase_add_loop_test(tc, clusters_against_definition, 0, 2);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
