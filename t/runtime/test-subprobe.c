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
#include <pthread.h>
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

/* Pools in four threads hand out (and hand out again) objects of their
 * own chunks at once: every registration lands, none is lost or mixed up
 * with another thread's, and freeing a chunk forgets its objects. */
enum { POOL_OBJS = 512, POOL_OBJ = 128, POOL_ROUNDS = 40, POOL_THREADS = 4 };

static void *pool_thread(void *arg)
{
	static const uint32_t cell = 1;
	char *chunk = malloc(POOL_OBJS * POOL_OBJ);
	ck_assert_ptr_nonnull(chunk);
	for (int r = 0; r < POOL_ROUNDS; r++)
		for (int j = 0; j < POOL_OBJS; j++)
			stf__sub_object(chunk + j * POOL_OBJ, POOL_OBJ, &cell);
	long missing = 0;
	/* the even ones unregistered by hand, the odd ones die with the chunk */
	for (int j = 0; j < POOL_OBJS; j += 2)
		missing += stf_unregister_object(chunk + j * POOL_OBJ) != 0;
	free(chunk);
	for (int j = 0; j < POOL_OBJS; j++)
		missing += stf_unregister_object(chunk + j * POOL_OBJ) == 0;
	*(long *)arg = missing;
	return NULL;
}

START_TEST(pools_in_threads)
{
	pthread_t t[POOL_THREADS];
	long missing[POOL_THREADS];
	for (int i = 0; i < POOL_THREADS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, pool_thread, &missing[i]), 0);
	for (int i = 0; i < POOL_THREADS; i++) {
		pthread_join(t[i], NULL);
		ck_assert_int_eq(missing[i], 0);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("subprobe");
	TCase *tc = tcase_create("probe");
	tcase_add_test(tc, inside_block_after_freed_header);
	tcase_add_test(tc, pools_in_threads);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
