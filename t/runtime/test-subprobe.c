/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit test of the probe run after every call of an STF_ALLOCATOR
 * function (stf__sub_object): is what it returned a whole heap block?  A
 * size-prefixing wrapper returns a pointer inside its block; the bytes
 * before it are the wrapper's own (a size header and whatever the memory
 * held before, such as the header of a block freed earlier at that
 * place).  The probe must answer "no", never die.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "stf.h"
#include "root.h"
#include "subobjects.h"

START_TEST(inside_block_after_freed_header)
{
	/* zmalloc's block: a 16-byte header (the size and 8 bytes it leaves
	 * as they were), then the object; those 8 bytes hold what a freed
	 * block's header had there */
	struct stf_block_hdr stale = { .size = 32, .magic = STF_BLOCK_FREED };
	char *block = malloc(sizeof(stale) + 32);
	ck_assert_ptr_nonnull(block);
	memcpy(block, &stale, sizeof(stale));
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
