/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests of libstf's allocation tracker (libstf/alloc.c): the malloc
 * family, sites, IDs, the slot table as the transfer engine reads it,
 * mmap tracking, user objects and stf_lookup.
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

extern char **environ;

static const struct stf_slot *slot_of(uint32_t i)
{
	const uint64_t *chunks = (const uint64_t *)(uintptr_t)stf__root.slot_chunks;
	return (const struct stf_slot *)(uintptr_t)chunks[i / STF_SLOTS_PER_CHUNK] +
	       i % STF_SLOTS_PER_CHUNK;
}

/* What the allocator knows of the live block holding p (all zero if
 * none). */
static struct stf_block_info blk(const void *p)
{
	struct stf_block_info b = { 0 };
	stf__heap_block(p, &b);
	return b;
}

/* Is a live block at address a? */
static bool live_at(uintptr_t a)
{
	__asm__("" : "+r"(a));
	return a && blk((const void *)a).start == a;
}

/* The marker cell, accessed like instrumented code does: the compiler
 * must neither drop nor move these accesses around the allocator call,
 * which it otherwise assumes does not read or write it. */
static void set_marker(uint32_t *cell)
{
	*(uint32_t *volatile *)&stf__alloc_site = cell;
}

static uint32_t *marker(void)
{
	return *(uint32_t *volatile *)&stf__alloc_site;
}

/* Opaque sizes: keep the compiler from judging the overflow tests. */
static size_t opaque(size_t n)
{
	__asm__("" : "+r"(n));
	return n;
}

/* The block is described as the allocator gave it. */
static void check_block(const void *p, size_t size)
{
	struct stf_block_info b;
	ck_assert_int_eq(stf__heap_block(p, &b), 1);
	ck_assert_uint_eq(b.start, (uintptr_t)p);
	ck_assert_uint_eq(b.size, size);
	ck_assert_uint_ne(b.id, 0);
	ck_assert_uint_lt(b.site, stf__root.nsites);
	ck_assert_uint_eq((uintptr_t)p % 16, 0);
	if (b.align_lg)  /* memalign & co.: the alignment they gave */
		ck_assert_uint_eq((uintptr_t)p & ((1ul << b.align_lg) - 1), 0);
	ck_assert_uint_ge(malloc_usable_size((void *)p), size);
}

static void site_string(uint32_t site, char *buf, size_t len)
{
	stf__site_describe(site, buf, len);
}

START_TEST(root_filled)
{
	ck_assert_uint_eq(stf__root.magic, STF_ROOT_MAGIC);
	ck_assert_uint_eq(stf__root.version, STF_ROOT_VERSION);
	ck_assert_uint_ne(stf__root.sites, 0);
	ck_assert_uint_ge(stf__root.nsites, 1);
	ck_assert_uint_ne(stf__root.slot_chunks, 0);
	ck_assert_uint_ne(stf__root.heap_base, 0);
	ck_assert_uint_ne(stf__root.heap_meta, 0);
	ck_assert_uint_ne(stf__root.spans, 0);
	ck_assert_uint_ge(stf__root.heap_units, 1);
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	ck_assert_int_gt(n, 0);
	exe[n] = 0;
	ck_assert_str_eq((const char *)(uintptr_t)stf__root.exe_path, exe);
	/* This test is not instrumented: no units. */
	ck_assert_uint_eq(stf__root.units_start, stf__root.units_end);
}
END_TEST

START_TEST(malloc_family_tracked)
{
	void *a = malloc(10);
	memset(a, 1, 10);
	check_block(a, 10);
	unsigned char *c = calloc(7, 9);
	check_block(c, 63);
	for (int i = 0; i < 63; i++)
		ck_assert_uint_eq(c[i], 0);
	ck_assert_uint_ne(blk(a).id, blk(c).id);
	ck_assert_uint_ge(malloc_usable_size(a), 10);
	void *z = malloc(0);
	ck_assert_ptr_nonnull(z);
	check_block(z, 0);
	uintptr_t at = (uintptr_t)a;
	free(a);
	ck_assert(!live_at(at));
	free(c);
	free(z);
	free(NULL);
}
END_TEST

START_TEST(overflow_rejected)
{
	errno = 0;
	ck_assert_ptr_null(calloc(opaque(SIZE_MAX / 2), 4));
	ck_assert_int_eq(errno, ENOMEM);
	errno = 0;
	ck_assert_ptr_null(malloc(opaque(SIZE_MAX - 8)));
	ck_assert_int_eq(errno, ENOMEM);
	void *p = malloc(4);
	errno = 0;
	ck_assert_ptr_null(reallocarray(p, opaque(SIZE_MAX / 2), 4));
	ck_assert_int_eq(errno, ENOMEM);
	check_block(p, 4);  /* untouched */
	free(p);
}
END_TEST

START_TEST(realloc_keeps_id_and_site)
{
	char *p = malloc(16);
	memcpy(p, "0123456789abcdef", 16);
	uint64_t id = blk(p).id;
	uint32_t site = blk(p).site;
	p = realloc(p, 100000);  /* grows, moves */
	check_block(p, 100000);
	ck_assert_uint_eq(blk(p).id, id);
	ck_assert_uint_eq(blk(p).site, site);
	ck_assert_int_eq(memcmp(p, "0123456789abcdef", 16), 0);
	p = realloc(p, 3);
	check_block(p, 3);
	ck_assert_uint_eq(blk(p).id, id);
	ck_assert_int_eq(memcmp(p, "012", 3), 0);
	/* A pending site marker re-sites the block, and is consumed. */
	uint32_t cell = 1;
	set_marker(&cell);
	p = realloc(p, 50);
	ck_assert_ptr_null(marker());
	ck_assert_uint_eq(blk(p).site, 1);
	ck_assert_uint_eq(blk(p).id, id);
	/* realloc(NULL) allocates, realloc(p, 0) frees. */
	uintptr_t at = (uintptr_t)p;
	ck_assert_ptr_null(realloc(p, 0));
	ck_assert(!live_at(at));
	p = realloc(NULL, 8);
	check_block(p, 8);
	free(p);
}
END_TEST

START_TEST(marker_consumed)
{
	uint32_t cell = 1;  /* the site number the plugin's cell would hold */
	char buf[160];
	set_marker(&cell);
	void *p = malloc(24);
	ck_assert_ptr_null(marker());
	ck_assert_uint_eq(blk(p).site, 1);
	void *q = malloc(24);  /* no marker: the caller's external site */
	ck_assert_uint_ne(blk(q).site, 0);
	site_string(blk(q).site, buf, sizeof buf);
	ck_assert_msg(strstr(buf, "test-alloc+0x") == buf, "site %s", buf);
	/* A cell libstf never numbered (0): the caller's site instead. */
	uint32_t unnumbered = 0;
	set_marker(&unnumbered);
	void *r = malloc(24);
	ck_assert_ptr_null(marker());
	site_string(blk(r).site, buf, sizeof buf);
	ck_assert_msg(strstr(buf, "test-alloc+0x") == buf, "site %s", buf);
	free(p);
	free(q);
	free(r);
}
END_TEST

static char *dup_here(const char *s)
{
	return strdup(s);
}

START_TEST(external_sites)
{
	/* strdup allocates inside libc: the site is libc's call. */
	char *a = dup_here("x"), *b = dup_here("yy");
	check_block(a, 2);
	check_block(b, 3);
	ck_assert_uint_eq(blk(a).site, blk(b).site);
	char id[160];
	site_string(blk(a).site, id, sizeof id);
	ck_assert_msg(strncmp(id, "libc.so.6+0x", 12) == 0, "site %s", id);
	ck_assert_uint_eq(stf__site_by_id(id), blk(a).site);
	const struct stf_site_ref *sites = (const void *)(uintptr_t)stf__root.sites;
	const struct stf_site_ref *r = &sites[blk(a).site];
	ck_assert_uint_eq(r->kind, STF_SITE_EXTERNAL);
	ck_assert_str_eq(r->name, "libc.so.6");
	/* Two calls from different places here differ. */
	void *m1 = malloc(1);
	void *m2 = malloc(1);
	ck_assert_uint_ne(blk(m1).site, blk(m2).site);
	free(a);
	free(b);
	free(m1);
	free(m2);
}
END_TEST

START_TEST(site_by_id_on_demand)
{
	uint64_t before = stf__root.nsites;
	uint32_t s = stf__site_by_id("libfoo.so.1+0x1234");
	ck_assert_uint_ne(s, 0);
	ck_assert_uint_eq(stf__root.nsites, before + 1);
	ck_assert_uint_eq(stf__site_by_id("libfoo.so.1+0x1234"), s);
	char buf[64];
	site_string(s, buf, sizeof buf);
	ck_assert_str_eq(buf, "libfoo.so.1+0x1234");
	/* Unknown plugin sites and garbage are not invented. */
	ck_assert_uint_eq(stf__site_by_id("kvd.c:put/struct entry.key#0"), 0);
	ck_assert_uint_eq(stf__site_by_id("libfoo.so.1+0xzz"), 0);
	ck_assert_uint_eq(stf__site_by_id(""), 0);
	ck_assert_uint_eq(stf__site_by_id(NULL), 0);
	site_string(0, buf, sizeof buf);
	ck_assert_str_eq(buf, "");
	site_string(999999, buf, sizeof buf);
	ck_assert_str_eq(buf, "");
}
END_TEST

START_TEST(alloc_with_id)
{
	uint32_t s = stf__site_by_id("libbar.so+0x10");
	uint64_t big = stf__root.next_id + 1000000;
	void *p = stf__alloc_with(40, s, big);
	check_block(p, 40);
	ck_assert_uint_eq(blk(p).id, big);
	ck_assert_uint_eq(blk(p).site, s);
	/* Fresh IDs never collide with it from now on. */
	void *q = malloc(1);
	ck_assert_uint_gt(blk(q).id, big);
	stf__alloc_bump_id(big + 5000);
	void *r = malloc(1);
	ck_assert_uint_ge(blk(r).id, big + 5000);
	free(p);
	free(q);
	free(r);
}
END_TEST

START_TEST(aligned_allocations)
{
	size_t aligns[] = { 8, 16, 32, 64, 256, 4096, 65536 };
	for (size_t i = 0; i < sizeof aligns / sizeof aligns[0]; i++) {
		void *p = memalign(aligns[i], 100);
		ck_assert_uint_eq((uintptr_t)p % aligns[i], 0);
		check_block(p, 100);
		void *q = aligned_alloc(aligns[i], 3 * aligns[i]);
		ck_assert_uint_eq((uintptr_t)q % aligns[i], 0);
		check_block(q, 3 * aligns[i]);
		void *r;
		ck_assert_int_eq(posix_memalign(&r, aligns[i], 7), 0);
		ck_assert_uint_eq((uintptr_t)r % aligns[i], 0);
		check_block(r, 7);
		memset(q, 0xab, 3 * aligns[i]);
		uint64_t id = blk(q).id;
		q = realloc(q, 10 * aligns[i]);
		check_block(q, 10 * aligns[i]);
		ck_assert_uint_eq(blk(q).id, id);
		ck_assert_uint_eq(((unsigned char *)q)[3 * aligns[i] - 1], 0xab);
		free(p);
		free(q);
		free(r);
	}
	void *v = valloc(10);
	ck_assert_uint_eq((uintptr_t)v % 4096, 0);
	check_block(v, 10);
	void *pv = pvalloc(10);
	ck_assert_uint_eq((uintptr_t)pv % 4096, 0);
	check_block(pv, 4096);
	free(v);
	free(pv);
	void *bad;
	ck_assert_int_eq(posix_memalign(&bad, 24, 8), EINVAL);
	ck_assert_int_eq(posix_memalign(&bad, 2, 8), EINVAL);
	void *np2 = memalign(48, 10);  /* glibc rounds up to 64 */
	ck_assert_uint_eq((uintptr_t)np2 % 64, 0);
	free(np2);
}
END_TEST

START_TEST(libc_boundary)
{
	/* Blocks allocated inside libc and freed by the program, and the
	 * program's blocks resized and freed by libc. */
	char path[] = "/tmp/ttst-test-alloc-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "alpha\nbeta gamma delta\n", 23), 23);
	close(fd);
	FILE *f = fopen(path, "r");
	ck_assert_ptr_nonnull(f);
	char *line = malloc(2);
	size_t cap = 2;
	uint64_t id = blk(line).id;
	ck_assert_int_eq(getline(&line, &cap, f), 6);
	ck_assert_str_eq(line, "alpha\n");
	check_block(line, cap);  /* grown by libc through our realloc */
	ck_assert_uint_eq(blk(line).id, id);
	char *l2 = NULL;
	size_t c2 = 0;
	ck_assert_int_eq(getline(&l2, &c2, f), 17);
	check_block(l2, c2);
	fclose(f);
	free(line);
	free(l2);
	char *d = strndup("abcdef", 3);
	check_block(d, 4);
	free(d);
	char *ap;
	ck_assert_int_gt(asprintf(&ap, "%d-%s", 42, "x"), 0);
	ck_assert_str_eq(ap, "42-x");
	free(ap);
	unlink(path);
}
END_TEST

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

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
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
 * it: 16-byte steps up to 256 B, then 8 classes per doubling (the span
 * table other processes read says which). */
START_TEST(sizes_take_the_smallest_class)
{
	const struct stf_span *spans = (const struct stf_span *)(uintptr_t)stf__root.spans;
	for (size_t n = 0; n < 16384; n++) {
		size_t want = 16;
		while (want < n + 1) {
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

/* Blocks of up to 64 B carry 8 bytes of metadata (root.h: struct
 * stf_obj_meta8): a span of the 32-byte class holds 1,638 blocks of 24 B,
 * not 1,365, each described as it was allocated. */
static void *fill_one_span(void *arg)
{
	void **b = arg;
	for (int i = 0; i < 1638; i++) {
		b[i] = malloc(24);
		memset(b[i], i, 24);
	}
	return NULL;
}

START_TEST(small_blocks_take_compact_metadata)
{
	static void *b[1638];
	pthread_t th;  /* a thread of its own: spans of its own */
	ck_assert_int_eq(pthread_create(&th, NULL, fill_one_span, b), 0);
	ck_assert_int_eq(pthread_join(th, NULL), 0);
	uintptr_t unit = ((uintptr_t)b[0] - stf__root.heap_base) >> STF_SPAN_SHIFT;
	for (int i = 0; i < 1638; i++) {
		ck_assert_uint_eq(((uintptr_t)b[i] - stf__root.heap_base) >> STF_SPAN_SHIFT, unit);
		check_block(b[i], 24);
		ck_assert(i == 0 || blk(b[i]).id != blk(b[i - 1]).id);
	}
	const struct stf_span *spans = (const struct stf_span *)(uintptr_t)stf__root.spans;
	ck_assert_uint_eq(spans[unit].obj_size, 32);
	ck_assert_uint_eq(spans[unit].id_hi, blk(b[0]).id >> 32);
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
		ck_assert_uint_gt(spans[((uintptr_t)p - stf__root.heap_base) >> STF_SPAN_SHIFT].obj_size, 64);
		free(p);
	}
	for (int i = 0; i < 1638; i++)
		free(b[i]);
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
	free(p + 12288);
}
END_TEST

static const struct stf_slot *find_slot(uint64_t addr, uint32_t kind)
{
	for (uint64_t i = 1; i < stf__root.slot_high; i++) {
		const struct stf_slot *s = slot_of((uint32_t)i);
		if (s->kind == kind && s->addr == addr)
			return s;
	}
	return NULL;
}

START_TEST(mmap_tracking)
{
	long pg = sysconf(_SC_PAGESIZE);
	char *m = mmap(NULL, 10 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(m, MAP_FAILED);
	const struct stf_slot *s = find_slot((uintptr_t)m, STF_SLOT_MMAP);
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(s->size, 10 * pg);
	ck_assert_uint_ne(s->site, 0);
	uint64_t id = s->id;
	/* Head and tail trimmed, a hole punched in the middle. */
	ck_assert_int_eq(munmap(m, pg), 0);
	s = find_slot((uintptr_t)m + pg, STF_SLOT_MMAP);
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(s->size, 9 * pg);
	ck_assert_uint_eq(s->id, id);
	ck_assert_int_eq(munmap(m + 9 * pg, pg), 0);
	ck_assert_uint_eq(s->size, 8 * pg);
	ck_assert_int_eq(munmap(m + 4 * pg, 2 * pg), 0);
	ck_assert_uint_eq(s->size, 3 * pg);
	const struct stf_slot *tail = find_slot((uintptr_t)m + 6 * pg, STF_SLOT_MMAP);
	ck_assert_ptr_nonnull(tail);
	ck_assert_uint_eq(tail->size, 3 * pg);
	ck_assert_uint_ne(tail->id, id);
	ck_assert_uint_eq(tail->site, s->site);
	/* mremap of a whole mapping keeps its ID. */
	char *g = mremap(m + 6 * pg, 3 * pg, 40 * pg, MREMAP_MAYMOVE);
	ck_assert_ptr_ne(g, MAP_FAILED);
	const struct stf_slot *gs = find_slot((uintptr_t)g, STF_SLOT_MMAP);
	ck_assert_ptr_nonnull(gs);
	ck_assert_uint_eq(gs->size, 40 * pg);
	ck_assert_uint_eq(gs->id, tail->id);
	munmap(m + pg, 3 * pg);
	ck_assert_ptr_null(find_slot((uintptr_t)m + pg, STF_SLOT_MMAP));
	munmap(g, 40 * pg);
	ck_assert_ptr_null(find_slot((uintptr_t)g, STF_SLOT_MMAP));
	/* Shared file mappings hold the file's state, not the program's. */
	int fd = open("/proc/self/exe", O_RDONLY);
	void *f = mmap(NULL, pg, PROT_READ, MAP_SHARED, fd, 0);
	ck_assert_ptr_ne(f, MAP_FAILED);
	ck_assert_ptr_null(find_slot((uintptr_t)f, STF_SLOT_MMAP));
	munmap(f, pg);
	close(fd);
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

START_TEST(user_objects)
{
	static char pool[4096];
	ck_assert_int_eq(stf_register_object(pool + 64, 128, "struct conn", 4, "pool.c:conns"), 0);
	const struct stf_slot *s = find_slot((uintptr_t)pool + 64, STF_SLOT_USER);
	ck_assert_ptr_nonnull(s);
	ck_assert_uint_eq(s->size, 128);
	char buf[64];
	site_string(s->site, buf, sizeof buf);
	ck_assert_str_eq(buf, "pool.c:conns");
	ck_assert_uint_eq(stf__site_by_id("pool.c:conns"), s->site);
	struct stf_object_info info;
	ck_assert_int_eq(stf_lookup(pool + 64 + 40, &info), 0);
	ck_assert_str_eq(info.id, "pool.c:conns");
	ck_assert_str_eq(info.type, "struct conn");
	ck_assert_uint_eq(info.count, 4);
	ck_assert_uint_eq(info.offset, 40);
	ck_assert_ptr_eq(info.base, pool + 64);
	/* Errors: twice, bad arguments, unknown. */
	errno = 0;
	ck_assert_int_eq(stf_register_object(pool + 64, 128, "struct conn", 4, "pool.c:conns"), -1);
	ck_assert_int_eq(errno, EEXIST);
	ck_assert_int_eq(stf_register_object(NULL, 1, "x", 1, "a"), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(stf_register_object(pool, 1, "x", 1, ""), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(stf_unregister_object(pool + 64), 0);
	ck_assert_ptr_null(find_slot((uintptr_t)pool + 64, STF_SLOT_USER));
	ck_assert_int_eq(stf_unregister_object(pool + 64), -1);
	ck_assert_int_eq(errno, ENOENT);
}
END_TEST

START_TEST(lookup_heap)
{
	char *p = malloc(100);
	memset(p, 2, 100);
	struct stf_object_info info;
	ck_assert_int_eq(stf_lookup(p + 99, &info), 0);
	ck_assert_ptr_eq(info.base, p);
	ck_assert_uint_eq(info.size, 100);
	ck_assert_uint_eq(info.offset, 99);
	ck_assert_uint_eq(info.dyn_id, blk(p).id);
	ck_assert_msg(strstr(info.id, "test-alloc+0x") == info.id, "id %s", info.id);
	ck_assert_ptr_null(info.type);  /* not instrumented */
	int local;
	errno = 0;
	ck_assert_int_eq(stf_lookup(&local, &info), -1);
	ck_assert_int_eq(errno, ENOENT);
	ck_assert_int_eq(stf_lookup(p, NULL), -1);
	uintptr_t gone = (uintptr_t)p;
	free(p);
	/* Freed: the index notices the change. */
	ck_assert_int_eq(stf_lookup((void *)(gone + 1), &info) == 0 && (uintptr_t)info.base == gone, 0);
}
END_TEST

/* STF_ID_BASE is honoured from the very first allocation: a child
 * process (this binary, mode "first-id") prints the ID of a new block. */
static uint64_t first_id_with_env(const char *env, const char *before)
{
	int pfd[2];
	ck_assert_int_eq(pipe(pfd), 0);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
	char *argv[] = { "test-alloc", "first-id", NULL };
	char *envp[] = { (char *)before, (char *)env, NULL };
	pid_t pid;
	ck_assert_int_eq(posix_spawn(&pid, "/proc/self/exe", &fa, NULL, argv, envp), 0);
	close(pfd[1]);
	char buf[64] = "";
	ssize_t n = read(pfd[0], buf, sizeof buf - 1);
	close(pfd[0]);
	ck_assert_int_gt(n, 0);
	int st;
	waitpid(pid, &st, 0);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	return strtoull(buf, NULL, 10);
}

START_TEST(id_base_env)
{
	uint64_t plain = first_id_with_env("X=1", "Y=2");
	ck_assert_uint_lt(plain, 1000000);
	uint64_t based = first_id_with_env("STF_ID_BASE=5000000000", "Y=2");
	ck_assert_uint_ge(based, 5000000000ULL);
	ck_assert_uint_lt(based, 5000000000ULL + 1000000);
	/* After a large environment (as ttstd appends it last). */
	static char big[40000];
	memset(big, 'v', sizeof big - 1);
	memcpy(big, "BIG=", 4);
	based = first_id_with_env("STF_ID_BASE=777000000", big);
	ck_assert_uint_ge(based, 777000000ULL);
	ck_assert_uint_lt(based, 777000000ULL + 1000000);
	/* Not a number: ignored with a warning. */
	plain = first_id_with_env("STF_ID_BASE=12abc", "Y=2");
	ck_assert_uint_lt(plain, 1000000);
}
END_TEST

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "first-id")) {
		void *p = calloc(1, 1);  /* initialized: blk() reads through a const pointer */
		printf("%llu\n", (unsigned long long)blk(p).id);
		return 0;
	}
	Suite *s = suite_create("alloc");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, root_filled);
	tcase_add_test(tc, malloc_family_tracked);
	tcase_add_test(tc, overflow_rejected);
	tcase_add_test(tc, realloc_keeps_id_and_site);
	tcase_add_test(tc, marker_consumed);
	tcase_add_test(tc, external_sites);
	tcase_add_test(tc, site_by_id_on_demand);
	tcase_add_test(tc, alloc_with_id);
	tcase_add_test(tc, aligned_allocations);
	tcase_add_test(tc, libc_boundary);
	tcase_add_test(tc, threads_mixed);
	tcase_add_test(tc, fork_while_allocating);
	tcase_add_test(tc, thread_exit_returns_spans);
	tcase_add_test(tc, foreign_blocks);
	tcase_add_test(tc, cached_blocks_fit);
	tcase_add_test(tc, large_blocks_reuse_freed_units);
	tcase_add_test(tc, sizes_take_the_smallest_class);
	tcase_add_test(tc, small_blocks_take_compact_metadata);
	tcase_add_test(tc, filled_heap_ranges_get_huge_pages);
	tcase_add_test_raise_signal(tc, double_free_aborts, SIGABRT);
	tcase_add_test_raise_signal(tc, free_of_uncarved_slot_aborts, SIGABRT);
	tcase_add_test(tc, mmap_tracking);
	tcase_add_test(tc, address_space_limit);
	tcase_add_test(tc, user_objects);
	tcase_add_test(tc, lookup_heap);
	tcase_add_test(tc, id_base_env);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
