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
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
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

/* Threads registering objects of one shared chunk (one shard of the
 * registry, one lock: they wait for each other, sleeping when the holder
 * lost its core): every registration lands. */
enum { SHARED_OBJS = 256, SHARED_ROUNDS = 400 };
static char *shared_chunk;

static void *shared_thread(void *arg)
{
	static const uint32_t cell = 1;
	long t = *(long *)arg, missing = 0;
	for (int r = 0; r < SHARED_ROUNDS; r++)
		for (long j = t; j < SHARED_OBJS; j += POOL_THREADS)
			stf__sub_object(shared_chunk + j * 64, 64, &cell);
	for (long j = t; j < SHARED_OBJS; j += POOL_THREADS)
		missing += stf_unregister_object(shared_chunk + j * 64) != 0;
	*(long *)arg = missing;
	return NULL;
}

START_TEST(threads_share_a_chunk)
{
	shared_chunk = malloc(SHARED_OBJS * 64);
	ck_assert_ptr_nonnull(shared_chunk);
	pthread_t t[POOL_THREADS];
	long arg[POOL_THREADS];
	for (long i = 0; i < POOL_THREADS; i++) {
		arg[i] = i;
		ck_assert_int_eq(pthread_create(&t[i], NULL, shared_thread, &arg[i]), 0);
	}
	for (int i = 0; i < POOL_THREADS; i++) {
		pthread_join(t[i], NULL);
		ck_assert_int_eq(arg[i], 0);
	}
	free(shared_chunk);
}
END_TEST

/* Freeing a chunk forgets the objects registered inside it and nothing
 * else, whether it covers a few 64 KiB ranges of address space (looked up
 * range by range) or more than the registry has shards (each shard
 * scanned); objects of the chunk's neighbours stay. */
static void forget_chunk(size_t size, size_t step)
{
	static const uint32_t cell = 1;
	char *chunk = malloc(size), *other = malloc(4096);
	ck_assert_ptr_nonnull(chunk);
	ck_assert_ptr_nonnull(other);
	for (size_t off = 16; off < size; off += step)
		stf__sub_object(chunk + off, 16, &cell);
	stf__sub_object(other + 16, 16, &cell);
	free(chunk);
	for (size_t off = 16; off < size; off += step)
		ck_assert_int_eq(stf_unregister_object(chunk + off), -1);
	ck_assert_int_eq(stf_unregister_object(other + 16), 0);
	free(other);
}

START_TEST(freed_chunk_forgets_its_objects)
{
	forget_chunk(200 << 10, 4096 - 16);
	forget_chunk(12 << 20, 65536 - 48);
}
END_TEST

/* A block's free looks in the thread's log only at the granules whose
 * bit is set, a bit per 16-byte granule of 2 MiB of address space: the
 * objects in the block go, whatever their place in a word of bits (its
 * last and first bit: a word boundary), and the objects 2 MiB away (the
 * same bits, in another block) stay. */
static char *same_bits(char *arena, const char *p)
{
	enum { ALIAS = 2 << 20 };
	uintptr_t a = (uintptr_t)arena + ALIAS;
	return arena + ALIAS + ((uintptr_t)p - a) % ALIAS;
}

START_TEST(freed_block_forgets_by_granule_bits)
{
	static const uint32_t cell = 1;
	enum { LEN = 3000, N = 5 };
	char *arena = malloc(5 << 20), *block = malloc(LEN);
	ck_assert_ptr_nonnull(arena);
	ck_assert_ptr_nonnull(block);
	/* the granule of the block's first word boundary of bits */
	size_t edge = (64 - ((uintptr_t)block >> 4) % 64) * 16;
	char *in[N] = { block, block + edge - 16, block + edge, block + edge + 64 * 16 - 16,
			block + LEN - 8 };
	char *out[N];
	for (int i = 0; i < N; i++) {
		out[i] = same_bits(arena, in[i]);
		stf__sub_object(in[i], 8, &cell);
		stf__sub_object(out[i], 8, &cell);
	}
	free(block);
	for (int i = 0; i < N; i++) {
		ck_assert_int_eq(stf_unregister_object(in[i]), -1);
		ck_assert_int_eq(stf_unregister_object(out[i]), 0);
	}
	free(arena);
}
END_TEST

/* The probe remembers the block it last found a thread's pool carving
 * a second object out of (marked as holding sub-objects): a block freed
 * and allocated again at the same address is not marked, and the first
 * object carved out of it marks it again, so that its free forgets its
 * objects.  Three objects: the second one of any block makes blocks'
 * ends counted, the third one's is remembered. */
START_TEST(chunk_allocated_again_at_its_address)
{
	static const uint32_t cell = 1;
	enum { CHUNK = 4096, TRIES = 64 };
	char *chunk = malloc(CHUNK), *again[TRIES];
	ck_assert_ptr_nonnull(chunk);
	for (int k = 1; k <= 3; k++)
		stf__sub_object(chunk + 64 * k, 64, &cell);
	uintptr_t at = (uintptr_t)chunk;
	free(chunk);
	int n = 0;
	do
		ck_assert_ptr_nonnull(again[n] = malloc(CHUNK));
	while ((uintptr_t)again[n++] != at && n < TRIES);
	char *reused = again[n - 1];
	ck_assert_uint_eq((uintptr_t)reused, at);
	struct stf_block_info b;
	ck_assert_int_eq(stf__heap_block(reused, &b), 1);
	ck_assert(!b.subs);
	stf__sub_object(reused + 64, 64, &cell);
	ck_assert_int_eq(stf__heap_block(reused, &b), 1);
	ck_assert(b.subs);
	while (n > 0)
		free(again[--n]);
	for (int k = 1; k <= 3; k++)
		ck_assert_int_eq(stf_unregister_object((void *)(at + 64 * k)), -1);
}
END_TEST

/* After objects carved out of a block, a call returning the block's start
 * with no size or the block's size is the whole block: it takes the
 * call's site. */
START_TEST(whole_block_after_its_objects)
{
	static const uint32_t obj_cell = 1, block_cell = 2, sized_cell = 3;
	char *chunk = malloc(4096);
	ck_assert_ptr_nonnull(chunk);
	stf__sub_object(chunk + 64, 64, &obj_cell);
	stf__sub_object(chunk, 0, &block_cell);
	struct stf_block_info b;
	ck_assert_int_eq(stf__heap_block(chunk, &b), 1);
	ck_assert_uint_eq(b.site, block_cell);
	stf__sub_object(chunk, b.size, &sized_cell);
	ck_assert_int_eq(stf__heap_block(chunk, &b), 1);
	ck_assert_uint_eq(b.site, sized_cell);
	ck_assert_int_eq(stf_unregister_object(chunk), -1);
	free(chunk);
}
END_TEST

/* One thread notes objects of its chunk as fast as it can (its log
 * entered with no atomic operation) while another gives back the ones it
 * is handed (entering the first one's log: a membarrier, then its lock
 * once that happened often) and a third folds every log into the
 * registry: every object handed over is found and given back once, and
 * the noting thread's other objects stay registered. */
enum { HANDED = 2000, KEPT = 64, OBJ = 32 };
static char *handed_chunk;
static void *_Atomic handed[HANDED];
static atomic_int noting_done;

static void *noting_thread(void *arg)
{
	static const uint32_t cell = 1;
	(void)arg;
	for (int i = 0; i < HANDED; i++) {
		char *p = handed_chunk + (size_t)(KEPT + i) * OBJ;
		stf__sub_object(p, OBJ, &cell);
		for (int k = 0; k < KEPT; k++)
			stf__sub_object(handed_chunk + (size_t)k * OBJ, OBJ, &cell);
		atomic_store_explicit(&handed[i], p, memory_order_release);
	}
	atomic_store(&noting_done, 1);
	return NULL;
}

static void *giving_back_thread(void *arg)
{
	long *missing = arg;
	for (int i = 0; i < HANDED; i++) {
		void *p;
		while (!(p = atomic_load_explicit(&handed[i], memory_order_acquire)))
			sched_yield();
		*missing += stf_unregister_object(p) != 0;
		*missing += stf_unregister_object(p) != -1;
	}
	return NULL;
}

static void *folding_thread(void *arg)
{
	(void)arg;
	struct stf_object_info info;
	/* a lookup folds every log into the registry first */
	while (!atomic_load(&noting_done))
		stf_lookup(handed_chunk, &info);
	return NULL;
}

START_TEST(handed_over_while_noting)
{
	handed_chunk = malloc((size_t)(KEPT + HANDED) * OBJ);
	ck_assert_ptr_nonnull(handed_chunk);
	long missing = 0;
	pthread_t noting, giving, folding;
	ck_assert_int_eq(pthread_create(&giving, NULL, giving_back_thread, &missing), 0);
	ck_assert_int_eq(pthread_create(&folding, NULL, folding_thread, NULL), 0);
	ck_assert_int_eq(pthread_create(&noting, NULL, noting_thread, NULL), 0);
	pthread_join(noting, NULL);
	pthread_join(giving, NULL);
	pthread_join(folding, NULL);
	ck_assert_int_eq(missing, 0);
	for (int k = 0; k < KEPT; k++)
		ck_assert_int_eq(stf_unregister_object(handed_chunk + (size_t)k * OBJ), 0);
	free(handed_chunk);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("subprobe");
	TCase *tc = tcase_create("probe");
	tcase_add_test(tc, inside_block_after_freed_header);
	tcase_add_test(tc, pools_in_threads);
	tcase_add_test(tc, threads_share_a_chunk);
	tcase_add_test(tc, freed_chunk_forgets_its_objects);
	tcase_add_test(tc, freed_block_forgets_by_granule_bits);
	tcase_add_test(tc, chunk_allocated_again_at_its_address);
	tcase_add_test(tc, whole_block_after_its_objects);
	tcase_add_test(tc, handed_over_while_noting);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
