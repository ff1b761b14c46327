/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests of libstf's heap (runtime/spans.c, collapse.c): size
 * classes, compact metadata, reuse of freed blocks and units, huge pages,
 * and the aborts of bad frees.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
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


START_TEST(cached_blocks_fit)
{
	/* A freed block is reused for any size of its cache class: each
	 * reuse must hold the whole new size (glibc's checks on free, and
	 * valgrind, catch an overrun). */
	static const size_t sizes[] = { 0, 1, 15, 16, 17, 1000, 4095, 4096, 4097, 4600, 4608,
					4609, 30000, 65535, 65536, 65537, 100000 };
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
		for (size_t d = 0; d < 600; d += 37) {
			size_t small = sizes[i] > d ? sizes[i] - d : 0;
			free(malloc(small));
			char *b = malloc(sizes[i]);
			memset(b, 0x5a, sizes[i]);
			check_block(b, sizes[i]);
			char *z = calloc(1, small);
			size_t nonzero = 0;  /* one assertion: each costs Check a write() */
			for (size_t k = 0; k < small; k++)
				nonzero += z[k] != 0;
			ck_assert_uint_eq(nonzero, 0);
			free(b);
			free(z);
		}
	/* The same block comes back as a new object. */
	char *a = malloc(100);
	uint64_t id = blk(a).id;
	free(a);
	char *b = malloc(110);  /* the same 16-byte class */
	ck_assert_ptr_eq(a, b);
	ck_assert_uint_ne(blk(b).id, id);
	check_block(b, 110);
	free(b);
}
END_TEST

/* Small blocks filling the heap's first MiBs, their pages all written:
 * those 2 MiB ranges become huge pages (spans.c: MADV_COLLAPSE), where the
 * kernel has them, collapsed by libstf's own thread "stf-collapse"
 * (collapse.c), not by the allocation that filled the range. */
static unsigned long heap_huge_kib(void)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	ck_assert_ptr_nonnull(f);
	char line[256];
	unsigned long lo = 0, hi = 0, kib, sum = 0;
	uint64_t heap_lo = stf__root.heap_base, heap_hi = heap_lo + (32ULL << 20);
	while (fgets(line, sizeof line, f)) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2)
			continue;
		if (sscanf(line, "AnonHugePages: %lu kB", &kib) == 1 && lo < heap_hi && hi > heap_lo)
			sum += kib;
	}
	fclose(f);
	return sum;
}

/* The heap's huge pages once they reach `want` KiB, waiting up to 5 s
 * for the collapser thread. */
static unsigned long heap_huge_kib_reaching(unsigned long want)
{
	unsigned long kib = heap_huge_kib();
	for (int i = 0; i < 500 && kib < want; i++) {
		usleep(10000);
		kib = heap_huge_kib();
	}
	return kib;
}

static bool has_thread_named(const char *name)
{
	char cmd[96];
	snprintf(cmd, sizeof cmd, "grep -qx '%s' /proc/%d/task/*/comm", name, (int)getpid());
	return system(cmd) == 0;
}

static void **fill_heap(int n)
{
	void **keep = malloc(n * sizeof *keep);
	ck_assert_ptr_nonnull(keep);
	for (int i = 0; i < n; i++) {
		keep[i] = malloc(40);
		ck_assert_ptr_nonnull(keep[i]);
		memset(keep[i], 2, 40);
	}
	return keep;
}

START_TEST(filled_heap_ranges_get_huge_pages)
{
	/* the kernel collapses a range of this process's own (6.1 and later) */
	char *probe = mmap(NULL, 4 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(probe, MAP_FAILED);
	char *aligned = (char *)(((uintptr_t)probe + (2 << 20) - 1) & ~(uintptr_t)((2 << 20) - 1));
	memset(aligned, 1, 2 << 20);
	int can = madvise(aligned, 2 << 20, 25 /* MADV_COLLAPSE */) == 0;
	munmap(probe, 4 << 20);
	if (!can)
		return;
	enum { N = 300000 };
	void **keep = fill_heap(N);
	unsigned long parent_kib = heap_huge_kib_reaching(4096);
	ck_assert_uint_ge(parent_kib, 4096);
	ck_assert(has_thread_named("stf-collapse"));
	/* A fork child has no collapser thread: it starts its own for the
	 * ranges it fills. */
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		void **more = fill_heap(N);
		bool ok = heap_huge_kib_reaching(parent_kib + 4096) >= parent_kib + 4096 &&
			  has_thread_named("stf-collapse");
		(void)more;
		_exit(ok ? 0 : 1);
	}
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	for (int i = 0; i < N; i++)
		free(keep[i]);
	free(keep);
}
END_TEST

/* Every small size lands in the smallest class that leaves a byte after
 * it: 16-byte steps up to 256 B, then 8 classes per doubling, and 16 to
 * 24 bytes in objects of 24 whose entry follows them (the span table
 * other processes read says which). */
START_TEST(sizes_take_the_smallest_class)
{
	const struct stf_span *spans = (const struct stf_span *)(uintptr_t)stf__root.spans;
	for (size_t n = 0; n < 16384; n++) {
		bool trailer = n >= 16 && n <= STF_TRAILER_SIZE;
		size_t want = trailer ? STF_TRAILER_SIZE : 16;
		while (!trailer && want < n + 1) {
			size_t step = 16;
			if (want >= 256)
				step = (size_t)1 << (63 - __builtin_clzl(want) - 3);
			want += step;
		}
		char *p = malloc(n);
		ck_assert_ptr_nonnull(p);
		uint32_t got = spans[((uintptr_t)p - stf__root.heap_base) >> STF_SPAN_SHIFT].obj_size;
		if (got != want)
			ck_abort_msg("malloc(%zu): class of %u bytes, not %zu", n, got, want);
		free(p);
	}
}
END_TEST

/* Blocks of up to 127 B carry 8 bytes of metadata (root.h: struct
 * stf_obj_meta8): a span of the 32-byte class holds 1,638 blocks of 25 B,
 * not 1,365, one of the 128-byte class 481 of 127 B, not 455; blocks of 16 to 24 B have theirs after them, 32 bytes a
 * block as in glibc: 2,048 a span, not 1,638.  Each is described as it
 * was allocated. */
struct span_fill { size_t size; int n; void **b; };

static void *fill_one_span(void *arg)
{
	struct span_fill *f = arg;
	for (int i = 0; i < f->n; i++) {
		f->b[i] = malloc(f->size);
		memset(f->b[i], i, f->size);
	}
	return NULL;
}

static void fill_compact_span(size_t size, int n, uint32_t obj_size, uint32_t stride)
{
	void **b = calloc((size_t)n, sizeof *b);
	struct span_fill f = { size, n, b };
	pthread_t th;  /* a thread of its own: spans of its own */
	ck_assert_int_eq(pthread_create(&th, NULL, fill_one_span, &f), 0);
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	uintptr_t unit = ((uintptr_t)b[0] - stf__root.heap_base) >> STF_SPAN_SHIFT;
	for (int i = 0; i < n; i++) {
		ck_assert_uint_eq(((uintptr_t)b[i] - stf__root.heap_base) >> STF_SPAN_SHIFT, unit);
		ck_assert_uint_eq((uintptr_t)b[i] % 16, 0);
		check_block(b[i], size);
		ck_assert(i == 0 || blk(b[i]).id != blk(b[i - 1]).id);
		ck_assert(i == 0 || (uintptr_t)b[i] - (uintptr_t)b[i - 1] == stride);
	}
	const struct stf_span *spans = (const struct stf_span *)(uintptr_t)stf__root.spans;
	ck_assert_uint_eq(spans[unit].obj_size, obj_size);
	ck_assert_uint_eq(spans[unit].nobj, n);
	ck_assert_uint_eq(stf_small_cap(obj_size), n);
	ck_assert_uint_eq(spans[unit].id_hi, blk(b[0]).id >> 32);
	/* the entry the span table says */
	const struct stf_obj_meta8 *e = (const struct stf_obj_meta8 *)(uintptr_t)
		stf_small_meta(stf__root.heap_base + (unit << STF_SPAN_SHIFT), obj_size);
	for (int i = 0; i < n; i++) {
		struct stf_obj_meta8 ei = e[(size_t)i * stf_small_meta_stride(obj_size) / sizeof *e];
		ck_assert_uint_eq(stf_meta8_expand(ei, 0, spans[unit].id_hi).id, blk(b[i]).id);
		ck_assert_uint_eq(STF_META8_SIZE(ei.word), size);
	}
	/* a block of 24 grown in place, of 16 to 24, not past */
	if (size <= STF_TRAILER_SIZE) {
		ck_assert_ptr_eq(realloc(b[0], STF_TRAILER_SIZE), b[0]);
		check_block(b[0], STF_TRAILER_SIZE);
		ck_assert_uint_eq(STF_META8_SIZE(e[0].word), STF_TRAILER_SIZE);
		b[0] = realloc(b[0], STF_TRAILER_SIZE + 1);
		check_block(b[0], STF_TRAILER_SIZE + 1);
		ck_assert_uint_ne(((uintptr_t)b[0] - stf__root.heap_base) >> STF_SPAN_SHIFT, unit);
		ck_assert_uint_eq(e[0].id_lo, 0);
	}
	for (int i = 0; i < n; i++)
		free(b[i]);
	free(b);
}

START_TEST(small_blocks_take_compact_metadata)
{
	fill_compact_span(25, 1638, 32, 32);
	fill_compact_span(127, 481, 128, 128);
	fill_compact_span(24, 2048, STF_TRAILER_SIZE, 32);
	const struct stf_span *spans = (const struct stf_span *)(uintptr_t)stf__root.spans;
	void *b[2];
	fill_one_span(&(struct span_fill){ 24, 2, b });
	/* An ID a compact entry cannot hold (another high half, or a low
	 * half of 0: a past version's object the transfer places) is kept,
	 * in a class of 16-byte entries. */
	uint32_t site = stf__site_by_id("libbar.so+0x10");
	uint64_t hi = blk(b[0]).id >> 32;
	uint64_t ids[] = { (hi + 1) << 32, (hi + 7) << 32 | 5 };
	for (int k = 0; k < 2; k++) {
		void *p = stf__alloc_with(24, site, ids[k]);
		check_block(p, 24);
		ck_assert_uint_eq(blk(p).id, ids[k]);
		ck_assert_uint_eq(blk(p).site, site);
		ck_assert_uint_gt(spans[((uintptr_t)p - stf__root.heap_base) >> STF_SPAN_SHIFT].obj_size,
				  STF_COMPACT_MAX);
		/* (free's fast path looks at an ID's low half only: the
		 * first takes the slow one) */
		free(p);
		ck_assert(!live_at((uintptr_t)p));
	}
	free(b[0]);
	free(b[1]);
}
END_TEST

START_TEST(large_blocks_reuse_freed_units)
{
	/* A random window of large blocks (64 KiB-1 MiB) replaced many times
	 * reuses the units its freed blocks leave (merged with the free
	 * units around them): the region does not keep growing, which
	 * would fault fresh pages in at every allocation. */
	enum { WINDOW = 16, OPS = 3000, MAX_UNITS = 17 };
	char *set[WINDOW] = { 0 };
	unsigned seed = 7;
	uint64_t start = stf__root.heap_units;
	for (int i = 0; i < OPS; i++) {
		seed = seed * 1103515245u + 12345u;
		unsigned k = (seed >> 8) % WINDOW;
		free(set[k]);
		seed = seed * 1103515245u + 12345u;
		size_t n = 65536 + (seed >> 8) % (1024 * 1024 - 65536);
		set[k] = malloc(n);
		ck_assert_ptr_nonnull(set[k]);
		set[k][0] = set[k][n - 1] = (char)i;
	}
	ck_assert_uint_le(stf__root.heap_units - start, 2 * WINDOW * MAX_UNITS);
	for (int k = 0; k < WINDOW; k++)
		free(set[k]);
}
END_TEST

START_TEST(large_blocks_shrink_in_place)
{
	/* A large block trimmed by realloc to a size that is still large
	 * (a string trimmed to its length, a vector shrunk to fit) keeps
	 * its address and bytes, and the units past its new end go back:
	 * the next block of that many units takes them.  Before, it moved
	 * into a new block, a copy of every byte kept. */
	enum { UNIT = STF_SPAN_UNIT };
	char *p = malloc(4 * UNIT - 100);
	ck_assert_ptr_nonnull(p);
	for (size_t i = 0; i < 4 * UNIT - 100; i += 4096)
		p[i] = (char)(i / 4096);
	uint64_t id = blk(p).id;
	char *q = realloc(p, UNIT + 1000);
	ck_assert_ptr_eq(q, p);
	check_block(q, UNIT + 1000);
	ck_assert_uint_eq(blk(q).id, id);
	for (size_t i = 0; i < UNIT + 1000; i += 4096)
		ck_assert_int_eq(q[i], (char)(i / 4096));
	ck_assert_uint_eq(malloc_usable_size(q), UNIT + 1000);
	uintptr_t at = (uintptr_t)q;
	char *r = malloc(2 * UNIT - 100);
	uintptr_t r_at = (uintptr_t)r;
	free(r);
	ck_assert_uint_eq(r_at, at + 2 * UNIT);
	/* below SMALL_MAX it moves into a small class's object */
	char *s = realloc(q, 1000);
	ck_assert_uint_ne((uintptr_t)s, at);
	ck_assert_int_eq(s[0], 0);
	free(s);
}
END_TEST

START_TEST(double_free_aborts)
{
	void *volatile p = malloc(8);
	free(p);
	free(p);
}
END_TEST

START_TEST(free_of_uncarved_slot_aborts)
{
	/* A span's metadata entries past its carved objects hold whatever
	 * its unit held before (a large block's bytes, its size): free() of
	 * such a slot is no live block's, it aborts as glibc does. */
	void *volatile spare = malloc(9000);  /* takes the thread's spare span */
	void *volatile cached = malloc(65535);  /* and its cached unit */
	char *keep = malloc(65535), *big = malloc(65535);  /* a unit each */
	memset(big, 0xff, 65535);
	free(keep);  /* kept by the thread for its next block of one unit */
	free(big);   /* back to the free units, its pages kept */
	char *p = malloc(12000);  /* the first of a span of 12,288 B */
	ck_assert_ptr_eq(p, big);
	(void)spare;
	(void)cached;
	free(p + opaque(12288));  /* opaque: no compile-time warning */
}
END_TEST

/* Blocks of up to 127 B of a lineage past 2^32 IDs: the high half of
 * their IDs is their span's (kept per span), so they keep compact
 * entries and their sizes' classes.  Before, the high half was one per
 * process, the first block's: past it they took 144-byte objects with
 * 16-byte entries and malloc's slow path.  The counter starts just below
 * the next high half (stf__alloc_bump_id), so the test crosses it in
 * a few thousand blocks; another thread then frees blocks of both halves
 * and allocates (a block of an old half's span in its cache must not be
 * handed out with an ID of the new half).  Last: the lineage stays past
 * the boundary for the tests after it in the same process. */
enum { CROSS = 6000, CROSS_BELOW = 3000, CROSS_MANY = 20000 };
static char *crossed[CROSS];

static uint32_t span_obj_size(const void *p)
{
	const struct stf_span *spans = (const struct stf_span *)(uintptr_t)stf__root.spans;
	return spans[((uintptr_t)p - stf__root.heap_base) >> STF_SPAN_SHIFT].obj_size;
}

static uint32_t span_id_hi(const void *p)
{
	const struct stf_span *spans = (const struct stf_span *)(uintptr_t)stf__root.spans;
	return spans[((uintptr_t)p - stf__root.heap_base) >> STF_SPAN_SHIFT].id_hi;
}

static void *free_half_and_allocate(void *arg)
{
	uint64_t start = *(uint64_t *)arg;
	for (int i = 0; i < CROSS; i += 2)
		free(crossed[i]);
	for (int i = 0; i < CROSS; i += 2) {
		size_t size = 16 + (size_t)i % 112;
		crossed[i] = malloc(size);
		memset(crossed[i], 0x33, size);
		check_block(crossed[i], size);
		ck_assert_uint_ge(blk(crossed[i]).id, start);
		ck_assert_uint_le(span_obj_size(crossed[i]), STF_COMPACT_MAX);
	}
	return NULL;
}

START_TEST(compact_blocks_past_2_32_ids)
{
	uint64_t start = ((stf__root.next_id >> 32) + 1) << 32;
	stf__alloc_bump_id(start - CROSS_BELOW);
	uint64_t last = 0;
	int past = 0;
	for (int i = 0; i < CROSS; i++) {
		size_t size = 16 + (size_t)i % 112;
		crossed[i] = malloc(size);
		memset(crossed[i], i & 0xff, size);
		check_block(crossed[i], size);
		uint64_t id = blk(crossed[i]).id;
		ck_assert_uint_gt(id, last);
		last = id;
		if (id < start || !(uint32_t)id)
			continue;
		past++;
		ck_assert_msg(span_obj_size(crossed[i]) <= STF_COMPACT_MAX,
			      "a %zu B block of ID %#llx in objects of %u B", size,
			      (unsigned long long)id, span_obj_size(crossed[i]));
		ck_assert_uint_eq(span_id_hi(crossed[i]), id >> 32);
	}
	ck_assert_int_ge(past, CROSS - CROSS_BELOW - 1000);
	pthread_t t;
	ck_assert_int_eq(pthread_create(&t, NULL, free_half_and_allocate, &start), 0);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	for (int i = 1; i < CROSS; i += 2) {
		size_t size = 16 + (size_t)i % 112;
		for (size_t b = 0; b < size; b++)
			ck_assert_int_eq(crossed[i][b], (char)(i & 0xff));
		check_block(crossed[i], size);
	}
	for (int i = 0; i < CROSS; i++) {
		free(crossed[i]);
		ck_assert(!live_at((uintptr_t)crossed[i]));
	}
	/* 16 B blocks take 32 B objects, not 144 B ones */
	uint64_t units = stf__root.heap_units;
	static char *many[CROSS_MANY];
	for (int i = 0; i < CROSS_MANY; i++) {
		many[i] = malloc(16);
		ck_assert_uint_ge(blk(many[i]).id, start);
	}
	ck_assert_uint_le(stf__root.heap_units - units, CROSS_MANY * 32 / STF_SPAN_UNIT + 4);
	for (int i = 0; i < CROSS_MANY; i++)
		free(many[i]);
}
END_TEST

static void add_tests(TCase *tc)
{
	tcase_add_test(tc, cached_blocks_fit);
	tcase_add_test(tc, large_blocks_reuse_freed_units);
	tcase_add_test(tc, large_blocks_shrink_in_place);
	tcase_add_test(tc, sizes_take_the_smallest_class);
	tcase_add_test(tc, small_blocks_take_compact_metadata);
	tcase_add_test(tc, filled_heap_ranges_get_huge_pages);
	tcase_add_test(tc, compact_blocks_past_2_32_ids);
	tcase_add_test_raise_signal(tc, double_free_aborts, SIGABRT);
	tcase_add_test_raise_signal(tc, free_of_uncarved_slot_aborts, SIGABRT);
}

int main(void)
{
	return run_tests("heap", add_tests);
}
