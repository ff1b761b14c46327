/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests of what the plugin's code tells libstf around slab calls
 * (runtime/slots.c): a deallocator's call ends the registration of the
 * object it gives back (stf__sub_free), and the table of slot allocator
 * arguments, once full, stops trying to record new pairs
 * (stf__slot_arg), and keeps an integer argument apart from a cache
 * pointer (stf__slot_int_arg).
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "stf.h"
#include "slots.h"
#include "stf-format.h"
#include "subobjects.h"

/* A slab's chunk handing out 64-byte slots: a slot given back is no
 * longer an object of its own, the others stay; one handed out again is
 * registered again. */
START_TEST(given_back_slot_unregistered)
{
	char *chunk = malloc(8 * 64);
	ck_assert_ptr_nonnull(chunk);
	static const uint32_t cell = 1;
	for (int k = 0; k < 8; k++)
		stf__sub_object(chunk + k * 64, 64, &cell);
	stf__sub_free(chunk + 3 * 64);
	stf__sub_free(chunk + 5 * 64 + 8); /* not an object's start: nothing */
	stf__sub_free(NULL);
	/* stf_unregister_object: 0 for a registered object */
	ck_assert_int_eq(stf_unregister_object(chunk + 3 * 64), -1);
	stf__sub_object(chunk + 3 * 64, 64, &cell); /* handed out again */
	for (int k = 0; k < 8; k++)
		ck_assert_int_eq(stf_unregister_object(chunk + k * 64), 0);
	free(chunk);
}
END_TEST

static void *slot_allocator(void *cache)
{
	return cache;
}

/* More distinct (site, cache) pairs than the table holds: `lost` says
 * so once, and the pairs recorded before stay found. */
START_TEST(full_table_stops_trying)
{
	static const uint32_t site = 7;
	static char caches[2 * STF_SLOT_ARGS_CAP];
	for (uint32_t k = 0; k < 2 * STF_SLOT_ARGS_CAP; k++)
		stf__slot_arg((const void *)slot_allocator,
			      (uintptr_t)(caches + k) ^ STF_SLOT_ARG_MASK, &site);
	ck_assert_uint_eq(stf__slot_args.lost, 1);
	ck_assert_uint_lt(stf__slot_args.n, STF_SLOT_ARGS_CAP);
	uint32_t n = stf__slot_args.n;
	stf__slot_arg((const void *)slot_allocator, (uintptr_t)caches ^ STF_SLOT_ARG_MASK,
		      &site); /* known */
	ck_assert_uint_eq(stf__slot_args.n, n);
	int found = 0;
	for (uint32_t k = 0; k < STF_SLOT_ARGS_CAP; k++)
		found += stf__slot_args.e[k].site == site &&
			 stf__slot_args.e[k].arg == ((uintptr_t)caches ^ STF_SLOT_ARG_MASK);
	ck_assert_int_eq(found, 1);
}
END_TEST

/* An integer argument choosing the slab (obj_alloc(KIND_CONN)) is
 * recorded as it is, flagged, apart from a cache pointer whose masked
 * value is the same number; each once. */
START_TEST(integer_argument_flagged)
{
	static const uint32_t site = 9;
	for (int round = 0; round < 3; round++) {
		stf__slot_int_arg((const void *)slot_allocator, 2, &site);
		stf__slot_arg((const void *)slot_allocator, 2, &site);
	}
	ck_assert_uint_eq(stf__slot_args.n, 2);
	int integers = 0, pointers = 0;
	for (uint32_t k = 0; k < STF_SLOT_ARGS_CAP; k++) {
		const struct stf_slot_arg *e = &stf__slot_args.e[k];
		if (e->site != site || e->arg != 2)
			continue;
		integers += e->flags == STF_SLOT_ARG_INT;
		pointers += e->flags == 0;
	}
	ck_assert_int_eq(integers, 1);
	ck_assert_int_eq(pointers, 1);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("slots");
	TCase *tc = tcase_create("slots");
	tcase_add_test(tc, given_back_slot_unregistered);
	tcase_add_test(tc, full_table_stops_trying);
	tcase_add_test(tc, integer_argument_flagged);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
