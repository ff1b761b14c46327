/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests of libstf's allocator across threads and processes: blocks
 * allocated and freed by different threads, fork while allocating, the
 * spans of exiting threads, libstf's own buffers, the address space and
 * the memory each thread costs; blocks freed by other threads than their
 * span's owner (cached and batched by the freeing thread).
 */
#include <check.h>
#include <link.h>
#include <semaphore.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "alloc.h"
#include "root.h"
#include "stf.h"
#include "alloc-test.h"


#define NTHREADS 4
#define PER_THREAD 3000
struct work { void *blocks[PER_THREAD]; size_t sizes[PER_THREAD]; };
static struct work works[NTHREADS];

static void *alloc_mix(void *arg)
{
	struct work *w = arg;
	unsigned seed = (unsigned)(w - works) * 7919u + 1;
	for (int i = 0; i < PER_THREAD; i++) {
		seed = seed * 1103515245u + 12345u;
		size_t n = (seed >> 8) % 2000 + 1;
		switch (i % 5) {
		case 0: w->blocks[i] = malloc(n); break;
		case 1: w->blocks[i] = calloc(1, n); break;
		case 2: w->blocks[i] = realloc(malloc(n / 2 + 1), n); break;
		case 3: w->blocks[i] = memalign(64, n); break;
		case 4: {
			char *s = malloc(n);
			memset(s, 'q', n - 1);
			s[n - 1] = 0;
			w->blocks[i] = strdup(s);
			free(s);
			break;
		}
		}
		w->sizes[i] = n;
	}
	return NULL;
}

static void *free_other(void *arg)
{
	struct work *w = arg;
	for (int i = 0; i < PER_THREAD; i++)
		free(w->blocks[i]);
	return NULL;
}

/* stf__objects_each: count the heap blocks whose IDs are listed. */
struct count_ctx { const uint64_t *ids; size_t n, live; };

static int count_listed(void *ctx, uint64_t addr, uint64_t size, uint32_t kind)
{
	struct count_ctx *c = ctx;
	struct stf_block_info b;
	(void)size;
	if (kind == STF_SLOT_HEAP && stf__heap_block((void *)(uintptr_t)addr, &b) &&
	    bsearch(&b.id, c->ids, c->n, sizeof c->ids[0], cmp_u64))
		c->live++;
	return 0;
}

START_TEST(threads_mixed)
{
	pthread_t t[NTHREADS];
	for (int i = 0; i < NTHREADS; i++)
		pthread_create(&t[i], NULL, alloc_mix, &works[i]);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
	/* Every block is described; IDs are unique; the enumeration holds
	 * exactly these blocks. */
	static uint64_t ids[NTHREADS * PER_THREAD];
	size_t n = 0;
	for (int i = 0; i < NTHREADS; i++)
		for (int j = 0; j < PER_THREAD; j++) {
			check_block(works[i].blocks[j], works[i].sizes[j]);
			ids[n++] = blk(works[i].blocks[j]).id;
		}
	qsort(ids, n, sizeof ids[0], cmp_u64);
	for (size_t i = 1; i < n; i++)
		ck_assert_uint_ne(ids[i - 1], ids[i]);
	struct count_ctx cc = { ids, n, 0 };
	stf__objects_each(count_listed, &cc);
	ck_assert_uint_eq(cc.live, n);
	/* Freed by other threads than the allocating ones. */
	for (int i = 0; i < NTHREADS; i++)
		pthread_create(&t[i], NULL, free_other, &works[(i + 1) % NTHREADS]);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
	cc.live = 0;
	stf__objects_each(count_listed, &cc);
	ck_assert_uint_eq(cc.live, 0);
}
END_TEST

static void *alloc_loop(void *arg)
{
	volatile int *stop = arg;
	while (!*stop)
		free(malloc(64));
	return NULL;
}

START_TEST(fork_while_allocating)
{
	volatile int stop = 0;
	pthread_t t;
	pthread_create(&t, NULL, alloc_loop, (void *)&stop);
	for (int round = 0; round < 20; round++) {
		char *keep = strdup("kept across fork");
		uint64_t id = blk(keep).id;
		pid_t pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			/* The child sees the parent's blocks and allocates. */
			int ok = blk(keep).id == id && !strcmp(keep, "kept across fork");
			for (int i = 0; i < 1000; i++)
				free(malloc((size_t)i + 1));
			char *c = malloc(10);
			ok = ok && live_at((uintptr_t)c);
			free(keep);
			_exit(ok ? 0 : 1);
		}
		int st;
		ck_assert_int_eq(waitpid(pid, &st, 0), pid);
		ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
		check_block(keep, 17);
		free(keep);
	}
	stop = 1;
	pthread_join(t, NULL);
}
END_TEST

static void *short_lived(void *arg)
{
	(void)arg;
	void *keep[100];
	for (int i = 0; i < 100; i++)
		keep[i] = malloc((size_t)(i % 50) * 16 + 1);
	for (int i = 0; i < 100; i++)
		free(keep[i]);
	return NULL;
}

START_TEST(thread_exit_returns_spans)
{
	/* Threads that exit give their spans back (or to the next thread):
	 * many short-lived threads do not make the heap grow. */
	pthread_t t;
	pthread_create(&t, NULL, short_lived, NULL);
	pthread_join(t, NULL);
	uint64_t high = stf__root.heap_units;
	for (int i = 0; i < 200; i++) {
		pthread_create(&t, NULL, short_lived, NULL);
		pthread_join(t, NULL);
	}
	ck_assert_uint_le(stf__root.heap_units, high + 8);
}
END_TEST

static void *carve_then_free(void *arg)
{
	void *b[64];
	for (int i = 0; i < 64; i++)
		b[i] = malloc(200);
	*(uintptr_t *)arg = (uintptr_t)b[0];
	for (int i = 0; i < 64; i++)
		free(b[i]);
	return NULL;
}

static void *alloc_one(void *arg)
{
	*(void **)arg = malloc(200);
	return NULL;
}

START_TEST(thread_exit_keeps_a_span_carved)
{
	/* A thread per connection: the span a thread emptied before it
	 * exited waits, carved, for the next thread that needs its class
	 * (the first of its class: the others go back to the free units).
	 * Before, it went back to the free units, and the next thread took
	 * a unit again and laid out its objects. */
	uintptr_t first;
	pthread_t t;
	ck_assert_int_eq(pthread_create(&t, NULL, carve_then_free, &first), 0);
	pthread_join(t, NULL);
	const struct stf_span *spans = (const struct stf_span *)(uintptr_t)stf__root.spans;
	uint64_t u = (first - stf__root.heap_base) / STF_SPAN_UNIT;
	ck_assert_uint_eq(spans[u].kind, STF_SPAN_SMALL);
	ck_assert_uint_ge(spans[u].nobj, 64);
	void *next;
	ck_assert_int_eq(pthread_create(&t, NULL, alloc_one, &next), 0);
	pthread_join(t, NULL);
	ck_assert_uint_eq(((uintptr_t)next - stf__root.heap_base) / STF_SPAN_UNIT, u);
	ck_assert_uint_ge(spans[u].nobj, 64);
	free(next);
}
END_TEST

START_TEST(foreign_blocks)
{
	/* Blocks glibc handed out without libstf (libstf's own buffers) are
	 * recognised as such by free, realloc and malloc_usable_size. */
	for (size_t n = 1; n < 70000; n = n * 3 + 1) {
		char *p = stf__raw_malloc(n);
		ck_assert_ptr_nonnull(p);
		memset(p, 'f', n);
		ck_assert_uint_eq(malloc_usable_size(p), 0);
		struct stf_object_info info;
		ck_assert_int_eq(stf_lookup(p, &info) == 0 && info.base == p, 0);
		p = realloc(p, n + 100);  /* moves it into a tracked block */
		check_block(p, n + 100);
		ck_assert_uint_eq((unsigned char)p[n - 1], 'f');
		free(p);
		free(stf__raw_malloc(n));
	}
}
END_TEST

/* A server that lowers its address-space limit after its startup
 * (vsftpd: RLIMIT_AS of 100 MB in each session) can still allocate: the
 * heap takes address space as it grows (a reservation of the whole
 * region up front used it all: every allocation then failed). */
static uint64_t address_space(void)
{
	unsigned long pages = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fscanf(f, "%lu", &pages), 1);
	fclose(f);
	return (uint64_t)pages * (uint64_t)sysconf(_SC_PAGESIZE);
}

static void *raw_malloc_thread(void *arg)
{
	(void)arg;
	return stf__raw_malloc(100);
}

START_TEST(address_space_limit)
{
	uint64_t used = address_space();
	ck_assert_msg(used < (768ULL << 20), "%llu MB of address space in use at the start",
		      (unsigned long long)(used >> 20));
	/* libstf's own bookkeeping from another thread (the control thread,
	 * the transfer's) takes no arena of 64 MB */
	pthread_t t;
	void *raw;
	ck_assert_int_eq(pthread_create(&t, NULL, raw_malloc_thread, NULL), 0);
	ck_assert_int_eq(pthread_join(t, &raw), 0);
	ck_assert_ptr_nonnull(raw);
	stf__raw_free(raw);
	ck_assert_uint_lt(address_space(), used + (32ULL << 20));
	struct rlimit lim = { 1ULL << 30, 1ULL << 30 };
	ck_assert_int_eq(setrlimit(RLIMIT_AS, &lim), 0);
	static void *blocks[2000];
	for (int i = 0; i < 2000; i++) {
		size_t n = i % 10 == 0 ? (size_t)64 << 10 : (size_t)(16 + i % 500);
		blocks[i] = malloc(n);
		ck_assert_ptr_nonnull(blocks[i]);
		memset(blocks[i], i & 0xff, n);
	}
	char *big = malloc(96 << 20);
	ck_assert_ptr_nonnull(big);
	memset(big, 1, 96 << 20);
	void *m = mmap(NULL, 16 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(m, MAP_FAILED);
	munmap(m, 16 << 20);
	free(big);
	for (int i = 0; i < 2000; i++)
		free(blocks[i]);
}
END_TEST

/* libstf's static TLS stays small: glibc copies and zeroes it in every
 * thread of every instrumented program, so the transfer's message
 * buffers (64 KiB each) are mapped on first use by the thread running a
 * transfer step (transfer/scratch.c), not declared __thread. */
static int libstf_tls(struct dl_phdr_info *info, size_t size, void *ctx)
{
	(void)size;
	if (!strstr(info->dlpi_name, "/libstf.so"))
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++)
		if (info->dlpi_phdr[i].p_type == PT_TLS)
			*(size_t *)ctx = info->dlpi_phdr[i].p_memsz;
	return 1;
}

static long resident_kib(void)
{
	long size = 0, pages = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(fscanf(f, "%ld %ld", &size, &pages), 2);
	fclose(f);
	return pages * (sysconf(_SC_PAGESIZE) / 1024);
}

static sem_t started, finish;

static void *idle_thread(void *arg)
{
	(void)arg;
	sem_post(&started);
	sem_wait(&finish);
	return NULL;
}

START_TEST(threads_touch_little_tls)
{
	size_t tls = 0;
	ck_assert_int_eq(dl_iterate_phdr(libstf_tls, &tls), 1);
	ck_assert_msg(tls > 0 && tls <= 32 << 10, "libstf's static TLS: %zu bytes per thread", tls);
	/* in memory: 8 threads alive at once, which allocate nothing */
	enum { N = 8 };
	pthread_t t[N];
	sem_init(&started, 0, 0);
	sem_init(&finish, 0, 0);
	long before = resident_kib();
	for (int i = 0; i < N; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, idle_thread, NULL), 0);
	for (int i = 0; i < N; i++)
		sem_wait(&started);
	long grown = resident_kib() - before;
	for (int i = 0; i < N; i++)
		sem_post(&finish);
	for (int i = 0; i < N; i++)
		pthread_join(t[i], NULL);
	ck_assert_msg(grown < N * 128, "%d idle threads take %ld KiB", N, grown);
}
END_TEST

/* Blocks freed by a thread other than their span's owner. */
static void *free_then_alloc(void *arg)
{
	void **blocks = arg;
	blocks[2] = malloc(40);   /* the thread allocates: it has a cache */
	free(blocks[0]);
	blocks[1] = malloc(40);
	return NULL;
}

START_TEST(freeing_thread_reuses_block)
{
	/* As glibc's tcache: the thread that frees another thread's block
	 * hands it out next (its lines are in its cache), described anew. */
	void *blocks[3] = { calloc(1, 40), NULL, NULL };
	uint64_t old_id = blk(blocks[0]).id;
	pthread_t t;
	pthread_create(&t, NULL, free_then_alloc, blocks);
	pthread_join(t, NULL);
	ck_assert_ptr_eq(blocks[1], blocks[0]);
	check_block(blocks[1], 40);
	ck_assert_uint_ne(blk(blocks[1]).id, old_id);
	free(blocks[1]);
	free(blocks[2]);
}
END_TEST

enum { GIVEN = 20000 };
static void *given[GIVEN];

static void *free_given(void *arg)
{
	(void)arg;
	for (int i = 0; i < GIVEN; i++)
		free(given[i]);
	return NULL;
}

static int cmp_ptr(const void *a, const void *b)
{
	uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
	return (x > y) - (x < y);
}

START_TEST(foreign_frees_return_at_exit)
{
	/* A thread that only frees the main thread's blocks (batched, and
	 * kept in its cache) gives them all back when it exits: the main
	 * thread's next blocks of that size are the same blocks. */
	static uintptr_t old[GIVEN];
	for (int i = 0; i < GIVEN; i++)
		old[i] = (uintptr_t)(given[i] = malloc(48));
	qsort(old, GIVEN, sizeof old[0], cmp_ptr);
	pthread_t t;
	pthread_create(&t, NULL, free_given, NULL);
	pthread_join(t, NULL);
	int reused = 0;
	for (int i = 0; i < GIVEN; i++) {
		given[i] = malloc(48);
		uintptr_t a = (uintptr_t)given[i];
		reused += bsearch(&a, old, GIVEN, sizeof old[0], cmp_ptr) != NULL;
	}
	/* (a few blocks of that size freed earlier may come first) */
	ck_assert_int_ge(reused, GIVEN - 64);
	for (int i = 0; i < GIVEN; i++)
		free(given[i]);
}
END_TEST

static void *free_given_and_wait(void *arg)
{
	free_given(arg);
	sem_post(&started);
	sem_wait(&finish);
	return NULL;
}

START_TEST(foreign_frees_return_in_fork_child)
{
	/* The batches and cache of a thread the child of a fork does not
	 * have go back to their spans there: the child's next blocks of
	 * that size are the blocks that thread freed. */
	static uintptr_t old[GIVEN];
	for (int i = 0; i < GIVEN; i++)
		old[i] = (uintptr_t)(given[i] = malloc(48));
	qsort(old, GIVEN, sizeof old[0], cmp_ptr);
	sem_init(&started, 0, 0);
	sem_init(&finish, 0, 0);
	pthread_t t;
	pthread_create(&t, NULL, free_given_and_wait, NULL);
	sem_wait(&started);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		int reused = 0;
		for (int i = 0; i < GIVEN; i++) {
			uintptr_t a = (uintptr_t)malloc(48);
			reused += bsearch(&a, old, GIVEN, sizeof old[0], cmp_ptr) != NULL;
		}
		_exit(reused >= GIVEN - 64 ? 0 : 1);
	}
	int st;
	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	sem_post(&finish);
	pthread_join(t, NULL);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}
END_TEST

/* Threads replacing random blocks of one table: most frees are of
 * another thread's block.  Each block carries a token and its check
 * word; a block handed out twice, or linked into a list while live,
 * breaks them. */
enum { TABLE = 4096, SWAPS = 100000 };
static _Atomic(uint64_t *) table[TABLE];

static bool block_intact(const uint64_t *b)
{
	return !b || b[1] == (b[0] * 0x9e3779b97f4a7c15u ^ 0x5bd1e995u);
}

static void *swap_blocks(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg * 7919u + 3;
	uint64_t token = (uint64_t)(uintptr_t)arg << 32;
	for (int i = 0; i < SWAPS; i++) {
		seed = seed * 1103515245u + 12345u;
		size_t n = 16 + (seed >> 8) % 600;
		uint64_t *b = malloc(n);
		if (!b)
			return (void *)1;
		b[0] = ++token;
		b[1] = b[0] * 0x9e3779b97f4a7c15u ^ 0x5bd1e995u;
		uint64_t *old = atomic_exchange(&table[(seed >> 4) % TABLE], b);
		if (!block_intact(old))
			return (void *)1;
		free(old);
	}
	return NULL;
}

START_TEST(threads_free_each_others_blocks)
{
	pthread_t t[NTHREADS];
	for (uintptr_t i = 0; i < NTHREADS; i++)
		pthread_create(&t[i], NULL, swap_blocks, (void *)i);
	for (int i = 0; i < NTHREADS; i++) {
		void *bad;
		pthread_join(t[i], &bad);
		ck_assert_ptr_null(bad);
	}
	/* every block left is live, described, intact */
	for (int i = 0; i < TABLE; i++) {
		uint64_t *b = table[i];
		if (b) {
			ck_assert(block_intact(b));
			ck_assert(live_at((uintptr_t)b));
			free(b);
		}
	}
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, threads_mixed);
	tcase_add_test(tc, fork_while_allocating);
	tcase_add_test(tc, thread_exit_returns_spans);
	tcase_add_test(tc, thread_exit_keeps_a_span_carved);
	tcase_add_test(tc, foreign_blocks);
	tcase_add_test(tc, address_space_limit);
	tcase_add_test(tc, threads_touch_little_tls);
	tcase_add_test(tc, freeing_thread_reuses_block);
	tcase_add_test(tc, foreign_frees_return_at_exit);
	tcase_add_test(tc, foreign_frees_return_in_fork_child);
	tcase_add_test(tc, threads_free_each_others_blocks);
}

int main(void)
{
	return run_tests("threads", add_tests);
}
