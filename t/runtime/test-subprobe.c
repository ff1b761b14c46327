/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit test of the probe run after every call of an STF_ALLOCATOR
 * function (stf__sub_object): is what it returned a whole heap block?  A
 * size-prefixing wrapper returns a pointer inside its block; the bytes
 * before it are the wrapper's own (a size header and whatever the memory
 * held before, such as pointers and sizes of a block freed earlier at
 * that place).  The probe must answer "no", never die.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stf.h"
#include "subobjects.h"

START_TEST(inside_block_after_freed_header)
{
	/* zmalloc's block: a 32-byte prefix (the size and bytes it leaves
	 * as they were: a freed block's size, a pointer to the block itself,
	 * all ones), then the object */
	char *block = malloc(32 + 32);
	ck_assert_ptr_nonnull(block);
	uint64_t stale[4] = { 32, (uintptr_t)block, UINT64_MAX, 48 };
	memcpy(block, stale, sizeof(stale));
	char *obj = block + sizeof(stale);
	static const uint32_t cell = 1;
	stf__sub_object(obj, 32, &cell);
	/* registered as an object inside the block */
	ck_assert_int_eq(stf_unregister_object(obj), 0);
	ck_assert_int_eq(stf_unregister_object(obj), -1);
	free(block);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("subprobe");
	TCase *tc = tcase_create("probe");
	tcase_add_test(tc, inside_block_after_freed_header);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
