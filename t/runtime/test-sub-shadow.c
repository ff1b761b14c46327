/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit test of the shadow map of sub-objects (runtime/sub-shadow.c): what
 * the code the plugin emits after an STF_ALLOCATOR call of a constant
 * size notes there (stf__sub_note), and before the partner free clears
 * (stf__sub_free), is what an immediate registration would have shown
 * once the registry is read (this process has one thread: stf_lookup
 * folds the map):
 *  - a noted object is found with its size, and gone once given back;
 *  - the objects of a freed chunk die with it, and the chunk's memory,
 *    handed out again as plain blocks, holds no object;
 *  - a chunk's objects die when it is shrunk by realloc, and a block's
 *    when it is freed also where they lie past the bytes it was asked
 *    for;
 *  - an address whose earlier object is registered (given back without
 *    the partner free) takes the registry's way: the newer object
 *    replaces it, and given back leaves nothing behind;
 *  - an object that is its whole block types the block;
 *  - a size that does not fit the site's code, and an address not on an
 *    8-byte granule, are registered as before.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "slots.h"
#include "stf.h"
#include "subobjects.h"

enum { OBJ = 64, OBJS = 512 };

/* The size of the object registered at addr, 0 if none starts there. */
static uint64_t size_at(const void *addr)
{
	struct stf_object_info info;
	if (stf_lookup(addr, &info) < 0 || info.base != addr)
		return 0;
	return info.size;
}

START_TEST(noted_then_given_back)
{
	static const uint32_t cell = 1;
	char *chunk = malloc(OBJS * OBJ);
	ck_assert_ptr_nonnull(chunk);
	for (int k = 0; k < OBJS; k++)
		stf__sub_note(chunk + k * OBJ, OBJ, &cell, NULL);
	for (int k = 0; k < OBJS; k += 2)
		stf__sub_free(chunk + k * OBJ);
	ck_assert_uint_eq(size_at(chunk + 2 * OBJ), 0);
	ck_assert_uint_eq(size_at(chunk + OBJ), OBJ);
	ck_assert_uint_eq(size_at(chunk + (OBJS - 1) * OBJ), OBJ);
	/* registered now: given back through the registry */
	stf__sub_free(chunk + OBJ);
	ck_assert_uint_eq(size_at(chunk + OBJ), 0);
	/* noted again at a registered address's place, given back */
	stf__sub_note(chunk + OBJ, OBJ, &cell, NULL);
	ck_assert_uint_eq(size_at(chunk + OBJ), OBJ);
	free(chunk);
	ck_assert_uint_eq(size_at(chunk + 3 * OBJ), 0);
}
END_TEST

START_TEST(chunk_freed_or_shrunk)
{
	static const uint32_t cell = 2;
	char *chunk = malloc(OBJS * OBJ);
	ck_assert_ptr_nonnull(chunk);
	for (int k = 0; k < OBJS; k++)
		stf__sub_note(chunk + k * OBJ, OBJ, &cell, NULL);
	free(chunk);
	/* the memory handed out again: plain blocks, no object inside */
	char *again = malloc(OBJS * OBJ);
	ck_assert_ptr_nonnull(again);
	for (int k = 1; k < OBJS; k++)
		ck_assert_uint_eq(size_at(again + k * OBJ), 0);
	for (int k = 0; k < OBJS; k++)
		stf__sub_note(again + k * OBJ, OBJ, &cell, NULL);
	char *shrunk = realloc(again, OBJS * OBJ / 2 + 8);
	ck_assert_ptr_nonnull(shrunk);
	for (int k = 1; k < OBJS / 2; k++)
		ck_assert_uint_eq(size_at(shrunk + k * OBJ), 0);
	free(shrunk);
	/* an object carved past the bytes asked for, in the block's room */
	char *block = malloc(2 * OBJ - 8);
	ck_assert_ptr_nonnull(block);
	stf__sub_note(block + OBJ, OBJ, &cell, NULL);
	free(block);
	char *next = malloc(2 * OBJ - 8);
	ck_assert_ptr_eq(next, block);
	ck_assert_uint_eq(size_at(next + OBJ), 0);
	free(next);
}
END_TEST

START_TEST(rehanded_without_free)
{
	static const uint32_t cell = 3;
	char *chunk = malloc(8 * OBJ);
	ck_assert_ptr_nonnull(chunk);
	/* the older object registered (the registry was read) */
	stf__sub_note(chunk + OBJ, OBJ, &cell, NULL);
	ck_assert_uint_eq(size_at(chunk + OBJ), OBJ);
	/* handed out again without the partner free: the newer replaces it;
	 * given back, nothing is left */
	stf__sub_note(chunk + OBJ, OBJ, &cell, NULL);
	stf__sub_free(chunk + OBJ);
	ck_assert_uint_eq(size_at(chunk + OBJ), 0);
	/* a registration made by the slow way is not hidden by a note */
	stf__sub_object(chunk + 2 * OBJ, OBJ / 2, &cell);
	stf__sub_note(chunk + 2 * OBJ, OBJ, &cell, NULL);
	ck_assert_uint_eq(size_at(chunk + 2 * OBJ), OBJ);
	stf__sub_free(chunk + 2 * OBJ);
	ck_assert_uint_eq(size_at(chunk + 2 * OBJ), 0);
	free(chunk);
}
END_TEST

START_TEST(whole_block_and_slow_ways)
{
	static const uint32_t cell = 4;
	/* a plain wrapper's block: typed, no object inside */
	char *block = malloc(96);
	ck_assert_ptr_nonnull(block);
	stf__sub_note(block, 96, &cell, NULL);
	struct stf_object_info info;
	ck_assert_int_eq(stf_lookup(block, &info), 0);
	ck_assert_ptr_eq(info.base, block);
	ck_assert_int_eq(stf_unregister_object(block), -1);
	free(block);
	/* another size from the same site; an address off the granules */
	static const uint32_t other = 5;
	char *chunk = malloc(8 * OBJ);
	ck_assert_ptr_nonnull(chunk);
	stf__sub_note(chunk + OBJ, 2 * OBJ, &cell, NULL);
	stf__sub_note(chunk + 6 * OBJ, OBJ, &other, NULL);
	stf__sub_note(chunk + 4 * OBJ + 4, OBJ, &other, NULL);
	ck_assert_uint_eq(size_at(chunk + OBJ), 2 * OBJ);
	ck_assert_uint_eq(size_at(chunk + 4 * OBJ + 4), OBJ);
	stf__sub_free(chunk + OBJ);
	stf__sub_free(chunk + 4 * OBJ + 4);
	ck_assert_uint_eq(size_at(chunk + OBJ), 0);
	ck_assert_uint_eq(size_at(chunk + 4 * OBJ + 4), 0);
	free(chunk);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("sub-shadow");
	TCase *tc = tcase_create("shadow");
	tcase_add_test(tc, noted_then_given_back);
	tcase_add_test(tc, chunk_freed_or_shrunk);
	tcase_add_test(tc, rehanded_without_free);
	tcase_add_test(tc, whole_block_and_slow_ways);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
