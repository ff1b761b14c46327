/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit test of the sub-objects pools hand out and take back
 * (stf__sub_object after a pool's allocator, stf__sub_free before its
 * free), which each thread notes in a log of its own until the registry
 * is read (runtime/sub-pending.c):
 *  - the objects bound (slots ever used, stf__objects_bound), which the
 *    transfer and its time limit rely on, stays flat while four threads
 *    churn objects of a live window, their pools moving to new chunks
 *    (new 64 KiB ranges of address space, so new registry shards), the
 *    registry being read (the walk over every object folds the logs, as
 *    quiescence does) between rounds: slots of dead objects kept apart
 *    per shard made it grow;
 *  - an object noted by one thread and given back by another is gone,
 *    and so are the noted objects of a chunk another thread frees;
 *  - the walk over every object and stf_lookup see noted objects;
 *  - an address a pool hands out again without its partner free having
 *    been seen (jobq's block_put) is registered as its newest object,
 *    whichever threads noted the older object and the newer one,
 *    and in whichever order their logs are folded, also when the newer
 *    one is registered at once; given back, the newer object leaves no
 *    registration of the older one behind.
 */
#include <check.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#include "alloc.h"
#include "slots.h"
#include "stf.h"
#include "subobjects.h"

static const uint32_t cell = 1;

enum { THREADS = 4, WINDOW = 300, OBJ = 64, CHUNK = 65536, ROUNDS = 30, PAIRS = 20000 };

static pthread_barrier_t round_start, round_end;

/* One thread's pool: a live window of objects in a chunk of its own,
 * replaced at random; each round moves to a new chunk (in another 64 KiB
 * of address space), the objects of the last one given back. */
static void *churn_thread(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg * 2654435761u;
	char *set[WINDOW], *chunks[ROUNDS];
	/* all at once: the heap's blocks count in the bound too */
	for (int r = 0; r < ROUNDS; r++)
		ck_assert_ptr_nonnull(chunks[r] = malloc(CHUNK));
	for (int r = 0; r < ROUNDS; r++) {
		pthread_barrier_wait(&round_start);
		char *chunk = chunks[r];
		char *free_list = NULL;
		int used = 0;
		for (int k = 0; k < WINDOW; k++) {
			set[k] = chunk + used++ * OBJ;
			stf__sub_object(set[k], OBJ, &cell);
		}
		for (int i = 0; i < PAIRS; i++) {
			seed = seed * 1103515245u + 12345u;
			int k = (int)((seed >> 8) % WINDOW);
			stf__sub_free(set[k]);
			*(char **)set[k] = free_list;
			free_list = set[k];
			/* half the time the pool's free list, else fresh memory */
			if ((seed >> 4) & 1 && used < CHUNK / OBJ) {
				set[k] = chunk + used++ * OBJ;
			} else {
				set[k] = free_list;
				free_list = *(char **)free_list;
			}
			stf__sub_object(set[k], OBJ, &cell);
		}
		pthread_barrier_wait(&round_end); /* the registry is read */
		pthread_barrier_wait(&round_start);
		for (int k = 0; k < WINDOW; k++)
			stf__sub_free(set[k]);
		pthread_barrier_wait(&round_end);
	}
	for (int r = 0; r < ROUNDS; r++)
		free(chunks[r]);
	return NULL;
}

static int count_none(void *ctx, uint64_t addr, uint64_t size, uint32_t kind)
{
	(void)ctx, (void)addr, (void)size, (void)kind;
	return 0;
}

START_TEST(bound_flat_across_churn)
{
	pthread_t t[THREADS];
	ck_assert_int_eq(pthread_barrier_init(&round_start, NULL, THREADS + 1), 0);
	ck_assert_int_eq(pthread_barrier_init(&round_end, NULL, THREADS + 1), 0);
	for (long i = 0; i < THREADS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, churn_thread, (void *)(i + 1)), 0);
	uint64_t first = 0;
	for (int r = 0; r < ROUNDS; r++) {
		pthread_barrier_wait(&round_start);
		pthread_barrier_wait(&round_end);
		ck_assert_int_eq(stf__objects_each(count_none, NULL), 0);
		uint64_t bound = stf__objects_bound();
		if (r == 1)
			first = bound;
		/* round 0 finds the slot table as the earlier tests left it */
		if (r > 1)
			ck_assert_msg(bound == first, "objects bound %llu at round %d, %llu at round 1",
				      (unsigned long long)bound, r, (unsigned long long)first);
		pthread_barrier_wait(&round_start);
		pthread_barrier_wait(&round_end);
	}
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&round_start);
	pthread_barrier_destroy(&round_end);
}
END_TEST

enum { HANDED = 64 };

static void *free_chunk(void *arg)
{
	free(arg);
	return NULL;
}

/* A thread that notes objects and waits: its log is folded by others
 * (at its exit it folds it itself). */
static pthread_barrier_t noted, done;

static void *note_and_wait(void *arg)
{
	for (int k = 0; k < HANDED; k++)
		stf__sub_object((char *)arg + k * OBJ, OBJ, &cell);
	pthread_barrier_wait(&noted);
	pthread_barrier_wait(&done);
	return NULL;
}

START_TEST(given_back_elsewhere)
{
	char *chunk = malloc(HANDED * OBJ);
	ck_assert_ptr_nonnull(chunk);
	pthread_t t;
	ck_assert_int_eq(pthread_barrier_init(&noted, NULL, 2), 0);
	ck_assert_int_eq(pthread_barrier_init(&done, NULL, 2), 0);
	ck_assert_int_eq(pthread_create(&t, NULL, note_and_wait, chunk), 0);
	pthread_barrier_wait(&noted);
	for (int k = 0; k < HANDED; k += 2)
		stf__sub_free(chunk + k * OBJ);
	pthread_barrier_wait(&done);
	pthread_join(t, NULL);
	for (int k = 0; k < HANDED; k++)
		ck_assert_int_eq(stf_unregister_object(chunk + k * OBJ), k % 2 ? 0 : -1);
	free(chunk);
}
END_TEST

static int count_in(void *ctx, uint64_t addr, uint64_t size, uint32_t kind)
{
	(void)size;
	uint64_t *c = ctx;
	if (kind == STF_SLOT_USER && addr >= c[1] && addr < c[1] + HANDED * OBJ)
		c[0]++;
	return 0;
}

START_TEST(noted_objects_are_seen)
{
	char *chunk = malloc(HANDED * OBJ), *other = malloc(HANDED * OBJ);
	ck_assert_ptr_nonnull(chunk);
	ck_assert_ptr_nonnull(other);
	pthread_t t[2];
	ck_assert_int_eq(pthread_barrier_init(&noted, NULL, 3), 0);
	ck_assert_int_eq(pthread_barrier_init(&done, NULL, 3), 0);
	ck_assert_int_eq(pthread_create(&t[0], NULL, note_and_wait, chunk), 0);
	ck_assert_int_eq(pthread_create(&t[1], NULL, note_and_wait, other), 0);
	pthread_barrier_wait(&noted);
	/* the walk over every object and stf_lookup */
	uint64_t c[2] = { 0, (uintptr_t)chunk };
	ck_assert_int_eq(stf__objects_each(count_in, c), 0);
	ck_assert_uint_eq(c[0], HANDED);
	struct stf_object_info info;
	ck_assert_int_eq(stf_lookup(other + 3 * OBJ + 8, &info), 0);
	ck_assert_ptr_eq(info.base, other + 3 * OBJ);
	ck_assert_uint_eq(info.size, OBJ);
	pthread_barrier_wait(&done);
	pthread_join(t[0], NULL);
	pthread_join(t[1], NULL);
	/* a chunk freed by another thread than the one that noted it */
	char *third = malloc(HANDED * OBJ);
	ck_assert_ptr_nonnull(third);
	ck_assert_int_eq(pthread_barrier_init(&noted, NULL, 2), 0);
	ck_assert_int_eq(pthread_barrier_init(&done, NULL, 2), 0);
	ck_assert_int_eq(pthread_create(&t[0], NULL, note_and_wait, third), 0);
	pthread_barrier_wait(&noted);
	ck_assert_int_eq(pthread_create(&t[1], NULL, free_chunk, third), 0);
	pthread_join(t[1], NULL);
	for (int k = 0; k < HANDED; k++)
		ck_assert_int_eq(stf_unregister_object(third + k * OBJ), -1);
	pthread_barrier_wait(&done);
	pthread_join(t[0], NULL);
	free(chunk);
	free(other);
}
END_TEST

/* A thread that runs the steps it is given one at a time, its log kept
 * between them. */
struct runner {
	pthread_t thread;
	pthread_barrier_t go, done;
	void (*step)(char *addr, uint64_t size);
	char *addr;
	uint64_t size;
};

static void *runner_main(void *arg)
{
	struct runner *r = arg;
	for (;;) {
		pthread_barrier_wait(&r->go);
		if (!r->step)
			return NULL;
		r->step(r->addr, r->size);
		pthread_barrier_wait(&r->done);
	}
}

static void runner_start(struct runner *r)
{
	ck_assert_int_eq(pthread_barrier_init(&r->go, NULL, 2), 0);
	ck_assert_int_eq(pthread_barrier_init(&r->done, NULL, 2), 0);
	ck_assert_int_eq(pthread_create(&r->thread, NULL, runner_main, r), 0);
}

static void run_in(struct runner *r, void (*step)(char *, uint64_t), char *addr, uint64_t size)
{
	r->step = step;
	r->addr = addr;
	r->size = size;
	pthread_barrier_wait(&r->go);
	pthread_barrier_wait(&r->done);
}

static void runner_stop(struct runner *r)
{
	r->step = NULL;
	pthread_barrier_wait(&r->go);
	pthread_join(r->thread, NULL);
}

/* what the plugin's code does after the pool's allocator, before its free */
static void hand_out(char *addr, uint64_t size)
{
	stf__sub_object(addr, size, &cell);
}

static void give_back(char *addr, uint64_t size)
{
	(void)size;
	stf__sub_free(addr);
}

/* Enough live objects, from OBJ bytes into the block at addr, to fill
 * the thread's log: it registers its next objects at once. */
enum { PAST_LOG = 6200 };

static void fill_log(char *addr, uint64_t size)
{
	for (int k = 1; k <= PAST_LOG; k++)
		stf__sub_object(addr + k * OBJ, size, &cell);
}

/* The size of the object registered at addr (stf_lookup reads the
 * registry), 0 if none starts there. */
static uint64_t size_at(char *addr)
{
	struct stf_object_info info;
	if (stf_lookup(addr, &info) < 0 || info.base != addr)
		return 0;
	return info.size;
}

/* A request and a note of jobq's, told apart by their sizes. */
enum { REQUEST = OBJ, NOTE = OBJ / 2 };

START_TEST(rehanded_without_free)
{
	char *chunk = malloc(8 * OBJ), *filler = malloc((PAST_LOG + 1) * OBJ);
	ck_assert_ptr_nonnull(chunk);
	ck_assert_ptr_nonnull(filler);
	struct runner a, b;
	runner_start(&a);
	runner_start(&b);
	/* a request handed out by one thread, given back by a free the
	 * plugin did not see, its block taken for a note by the other: both
	 * orders, as the logs are folded one after the other */
	run_in(&a, hand_out, chunk, REQUEST);
	run_in(&b, hand_out, chunk, NOTE);
	ck_assert_uint_eq(size_at(chunk), NOTE);
	run_in(&b, hand_out, chunk + OBJ, REQUEST);
	run_in(&a, hand_out, chunk + OBJ, NOTE);
	ck_assert_uint_eq(size_at(chunk + OBJ), NOTE);
	/* the request registered (the registry was read), the note given
	 * back with the partner free: nothing is left at its place */
	run_in(&a, hand_out, chunk + 2 * OBJ, REQUEST);
	ck_assert_uint_eq(size_at(chunk + 2 * OBJ), REQUEST);
	run_in(&b, hand_out, chunk + 2 * OBJ, NOTE);
	run_in(&b, give_back, chunk + 2 * OBJ, 0);
	ck_assert_uint_eq(size_at(chunk + 2 * OBJ), 0);
	/* the note registered at once by a thread whose log is full */
	run_in(&a, hand_out, chunk + 3 * OBJ, REQUEST);
	run_in(&b, fill_log, filler, NOTE);
	run_in(&b, hand_out, chunk + 3 * OBJ, NOTE);
	ck_assert_uint_eq(size_at(chunk + 3 * OBJ), NOTE);
	runner_stop(&a);
	runner_stop(&b);
	free(chunk);
	free(filler);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("pool-churn");
	TCase *tc = tcase_create("churn");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, bound_flat_across_churn);
	tcase_add_test(tc, given_back_elsewhere);
	tcase_add_test(tc, noted_objects_are_seen);
	tcase_add_test(tc, rehanded_without_free);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
