/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests of heap placement (libstf/runtime/placement.c): blocks
 * created at a chosen address with stf__alloc_at, refused where memory is
 * taken, freed, reallocated and placed again; seen by another process
 * through the slot table; and the STF_AVOID hand-over of a past version's
 * heap ranges and mappings.
 */
#include <check.h>
#include <errno.h>
#include <pthread.h>
#include <malloc.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "alloc.h"
#include "root.h"

#define PG 4096ul

/* What the allocator knows of the live block at p (all zero if none). */
static struct stf_block_info blk(const void *p)
{
	struct stf_block_info b = { 0 };
	stf__heap_block(p, &b);
	return b;
}

struct site_count { uint32_t site; unsigned n; };

static int count_site(void *ctx, uint64_t addr, uint64_t size, uint32_t kind)
{
	struct site_count *c = ctx;
	struct stf_block_info b = blk((void *)(uintptr_t)addr);
	(void)size;
	c->n += kind == STF_SLOT_HEAP && b.start == addr && b.site == c->site;
	return 0;
}

/* Live heap blocks of a site, as the allocator enumerates them. */
static unsigned live_of_site(uint32_t site)
{
	struct site_count c = { site, 0 };
	stf__objects_each(count_site, &c);
	return c.n;
}

static bool is_mapped(uintptr_t a);

/* An address range where nothing is mapped, far from where the kernel
 * puts mappings (libstf's own tables would go where one was just freed). */
static uintptr_t free_range(size_t len)
{
	static uintptr_t next = 0x300000000000ull;
	uintptr_t r = next;
	next += (len + (1 << 20)) & ~((1ul << 20) - 1);
	for (uintptr_t a = r; a < r + len; a += 4096)
		ck_assert(!is_mapped(a));
	return r;
}

static bool is_mapped(uintptr_t a)
{
	return msync((void *)(a & ~(PG - 1)), PG, MS_ASYNC) == 0;
}

static void refused(uintptr_t addr, size_t size, int err)
{
	errno = 0;
	ck_assert_ptr_null(stf__alloc_at(addr, size, 0, 0));
	ck_assert_int_eq(errno, err);
}

START_TEST(place_and_refuse)
{
	uintptr_t base = free_range(16 * PG);
	uint32_t site = stf__site_by_id("libplace.so+0x20");
	uint64_t id = stf__root.next_id + 2000000;
	uintptr_t a = base + PG + 48;
	char *p = stf__alloc_at(a, 100, site, id);
	ck_assert_ptr_eq(p, (void *)a);
	struct stf_block_info info = blk(p);
	ck_assert_uint_eq(info.start, a);
	ck_assert_uint_eq(info.size, 100);
	ck_assert_uint_eq(info.id, id);
	ck_assert_uint_eq(info.site, site);
	ck_assert_uint_eq(malloc_usable_size(p), 100);
	memset(p, 0xab, 100);
	/* Fresh IDs stay above a placed block's. */
	void *q = malloc(1);
	ck_assert_uint_gt(blk(q).id, id);
	free(q);
	/* A neighbour right after p's last granule (no header in between). */
	char *n = stf__alloc_at(a + 112, 10, site, 0);
	ck_assert_ptr_eq(n, (void *)(a + 112));
	ck_assert_uint_eq(live_of_site(site), 2);

	/* Taken: p, n; nothing changes. */
	uintptr_t taken[] = { a, a + 16, a + 96, a + 112 };
	for (size_t i = 0; i < sizeof taken / sizeof taken[0]; i++)
		refused(taken[i], 8, EEXIST);
	refused(a - 64, 72, EEXIST);    /* its end runs into p */
	refused(base, 2 * PG, EEXIST);  /* spans p's page */
	ck_assert_uint_eq(live_of_site(site), 2);
	for (int i = 0; i < 100; i++)
		ck_assert_uint_eq((unsigned char)p[i], 0xab);
	/* Memory that is not adopted: a block of the heap region, the
	 * stack, the slot table; misaligned or impossible addresses. */
	char *m = malloc(64);
	refused(((uintptr_t)m + 15) & ~15ul, 16, EEXIST);
	free(m);
	int local;
	refused(((uintptr_t)&local + 64) & ~15ul, 8, EEXIST);
	refused(stf__root.slot_chunks + 64, 8, EEXIST);
	refused(a + 300 + 8, 8, EINVAL);
	refused(16, 8, EINVAL);
	refused(1ull << 47, 8, EINVAL);
	refused(a + 1024, SIZE_MAX / 2, EINVAL);
	ck_assert_uint_eq(live_of_site(site), 2);

	/* realloc moves it into an ordinary block, keeping ID and site; the
	 * address can be placed again. */
	uint64_t nid = blk(n).id;
	strcpy(n, "placed");
	char *moved = realloc(n, 5000);
	ck_assert_ptr_nonnull(moved);
	ck_assert_ptr_ne(moved, n);
	ck_assert_str_eq(moved, "placed");
	ck_assert_uint_eq(blk(moved).id, nid);
	ck_assert_uint_eq(blk(moved).site, site);
	char *again = stf__alloc_at(a + 112, 10, site, 0);
	ck_assert_ptr_eq(again, (void *)(a + 112));
	free(again);
	free(moved);

	/* A block over several pages. */
	uintptr_t b = base + 8 * PG + 16;
	char *big = stf__alloc_at(b, 3 * PG, site, 0);
	ck_assert_ptr_eq(big, (void *)b);
	memset(big, 1, 3 * PG);
	ck_assert_uint_eq(malloc_usable_size(big), 3 * PG);
	/* Pages go when their last block does. */
	ck_assert(is_mapped(a));
	free(p);
	ck_assert(!is_mapped(a));
	free(big);
	ck_assert(!is_mapped(b - 16));
	ck_assert(!is_mapped(b + 2 * PG));
	ck_assert_uint_eq(live_of_site(site), 0);

	/* Placed again after free, at the same address. */
	p = stf__alloc_at(a, 100, site, id);
	ck_assert_ptr_eq(p, (void *)a);
	ck_assert_uint_eq(p[0], 0);  /* fresh pages */
	free(p);
}
END_TEST

/* Placing from several threads at once into one page. */
static uintptr_t shared_page;

static void *place_many(void *arg)
{
	uintptr_t k = (uintptr_t)arg;
	for (int round = 0; round < 2000; round++) {
		/* Thread k owns granules 4k + 2, 4k + 3 of the page: 32 bytes. */
		char *p = stf__alloc_at(shared_page + (4 * k + 2) * 16, 32, 0, 0);
		if (!p)
			return (void *)1;
		memset(p, (int)k, 32);
		free(p);
	}
	return NULL;
}

START_TEST(place_threads)
{
	shared_page = free_range(PG);
	pthread_t t[4];
	for (uintptr_t k = 0; k < 4; k++)
		ck_assert_int_eq(pthread_create(&t[k], NULL, place_many, (void *)k), 0);
	for (int k = 0; k < 4; k++) {
		void *r;
		pthread_join(t[k], &r);
		ck_assert_ptr_null(r);
	}
	ck_assert(!is_mapped(shared_page));
}
END_TEST

/* The transfer engine's view: another process reads the root and the
 * slot table and finds the placed block with its size, ID and site. */
START_TEST(placed_enumerated_remotely)
{
	uintptr_t a = free_range(4 * PG) + PG + 32;
	int ready[2], done[2];
	ck_assert_int_eq(pipe(ready), 0);
	ck_assert_int_eq(pipe(done), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		char c = stf__alloc_at(a, 77, 5, 0x123456789ull) == (void *)a ? 'y' : 'n';
		ssize_t w = write(ready[1], &c, 1);
		w = read(done[0], &c, 1);
		_exit(w < 0);
	}
	char c = 0;
	ck_assert_int_eq(read(ready[0], &c, 1), 1);
	ck_assert_int_eq(c, 'y');
	struct stf_root root;
	struct iovec l = { &root, sizeof root }, r = { &stf__root, sizeof root };
	ck_assert_int_eq(process_vm_readv(pid, &l, 1, &r, 1, 0), (ssize_t)sizeof root);
	ck_assert_uint_eq(root.magic, STF_ROOT_MAGIC);
	uint64_t *chunks = calloc(root.nchunks, sizeof *chunks);
	l = (struct iovec){ chunks, root.nchunks * sizeof *chunks };
	r = (struct iovec){ (void *)(uintptr_t)root.slot_chunks, l.iov_len };
	ck_assert_int_eq(process_vm_readv(pid, &l, 1, &r, 1, 0), (ssize_t)l.iov_len);
	int found = 0;
	for (uint64_t i = 1; i < root.slot_high; i++) {
		struct stf_slot s;
		l = (struct iovec){ &s, sizeof s };
		r = (struct iovec){ (struct stf_slot *)(uintptr_t)chunks[i / STF_SLOTS_PER_CHUNK] +
				    i % STF_SLOTS_PER_CHUNK, sizeof s };
		ck_assert_int_eq(process_vm_readv(pid, &l, 1, &r, 1, 0), (ssize_t)sizeof s);
		if (s.addr == a && STF_SLOT_KIND(s.kind) == STF_SLOT_HEAP) {
			found++;
			ck_assert_uint_eq(s.size, 77);
			ck_assert_uint_eq(s.id, 0x123456789ull);
			ck_assert_uint_eq(s.site, 5);
		}
	}
	ck_assert_int_eq(found, 1);
	free(chunks);
	ck_assert_int_eq(write(done[1], "x", 1), 1);
	int st;
	waitpid(pid, &st, 0);
	ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}
END_TEST

/* STF_AVOID: the ranges a past version publishes cover its blocks... */
static bool covered(const char *ranges, uintptr_t a)
{
	for (const char *s = ranges; *s;) {
		char *end;
		unsigned long long lo = strtoull(s, &end, 16), hi = strtoull(end + 1, &end, 16);
		if (a >= lo && a < hi)
			return true;
		s = *end ? end + 1 : end;
	}
	return false;
}

START_TEST(avoid_describe)
{
	char *m = malloc(40);
	char *big = malloc(1 << 20);  /* a mapping of its own in glibc */
	uintptr_t a = free_range(2 * PG) + 64;
	char *p = stf__alloc_at(a, 24, 0, 0);
	ck_assert_ptr_nonnull(p);
	char *d = stf__avoid_describe("STF_AVOID=");
	ck_assert_ptr_nonnull(d);
	ck_assert_int_eq(strncmp(d, "STF_AVOID=", 10), 0);
	ck_assert(covered(d + 10, (uintptr_t)m));
	ck_assert(covered(d + 10, (uintptr_t)big + (1 << 19)));
	ck_assert(covered(d + 10, a));
	ck_assert(!covered(d + 10, (uintptr_t)&d));  /* the stack has no block */
	stf__raw_free(d);
	/* a mapping of the program, which keeps its address too */
	char *map = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert_ptr_ne(map, MAP_FAILED);
	d = stf__avoid_describe("STF_AVOID=");
	ck_assert_ptr_nonnull(d);
	ck_assert(covered(d + 10, (uintptr_t)map) && covered(d + 10, (uintptr_t)map + 2 * PG));
	stf__raw_free(d);
	munmap(map, 3 * PG);
	free(m);
	free(big);
	free(p);
}
END_TEST

/* ... and the next version reserves them at its first allocation, where
 * it can then place blocks (child: this binary, mode "avoid"); after the
 * commit, the ranges without placed blocks are given back. */
#define AVOID_START 0x200000000000ull
#define AVOID_END   0x200000100000ull
#define AVOID2_START 0x200000200000ull

static int avoid_child(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	bool reserved = false;
	while (f && fgets(line, sizeof line, f))
		reserved |= strncmp(line, "200000000000-200000100000 ---p", 30) == 0;
	if (!reserved) {
		puts("range not reserved");
		return 1;
	}
	for (int i = 0; i < 20000; i++) {
		char *b = malloc((size_t)(i % 700) * 16 + 1);
		if ((uintptr_t)b >= AVOID_START && (uintptr_t)b < AVOID_END) {
			puts("malloc returned an avoided address");
			return 1;
		}
	}
	char *p = stf__alloc_at(AVOID_START + 0x5040, 300, 0, 0);
	if (p != (char *)(AVOID_START + 0x5040)) {
		printf("placement in the avoided range failed: %s\n", strerror(errno));
		return 1;
	}
	memset(p, 7, 300);
	/* After a commit, the ranges without a placed block are given back. */
	stf__avoid_release_unused();
	if (msync((void *)AVOID2_START, PG, MS_ASYNC) == 0 ||
	    msync((void *)AVOID_START, PG, MS_ASYNC) != 0) {
		puts("unused reservation kept or used one given back");
		return 1;
	}
	__asm__("" : "+r"(p));  /* gcc knows p's value: not one malloc returned */
	free(p);
	/* Back to a reservation (not unmapped: nothing else may go there). */
	if (msync((void *)(AVOID_START + 0x5000), PG, MS_ASYNC) != 0) {
		puts("freed page left the reservation");
		return 1;
	}
	puts("ok");
	return 0;
}

/* Mappings re-created at the past version's addresses (stf__mmap_with,
 * child: mode "mapat"): over the range reserved for each (its own) and
 * free pages, never over another's reservation; a fixed mapping of the
 * program takes its reservation; none is given back with the unused
 * reservations after the commit. */
#define MAPAT(off) ((void *)(uintptr_t)(AVOID_START + (off)))

static int mapat_child(void)
{
	char *a = stf__mmap_with(4 * PG, PROT_READ | PROT_WRITE, 0, 0, AVOID_START, 4 * PG);
	/* its own page reserved, the next one free */
	char *b = stf__mmap_with(2 * PG, PROT_READ | PROT_WRITE, 0, 0, AVOID_START + 0x5000, PG);
	if (a != MAPAT(0) || b != MAPAT(0x5000)) {
		printf("mapping not at its address: %s\n", strerror(errno));
		return 1;
	}
	/* the page after its own is another's reservation */
	char *c = stf__mmap_with(2 * PG, PROT_READ | PROT_WRITE, 0, 0, AVOID_START + 0x7000, PG);
	if (c || errno != EEXIST || is_mapped(AVOID_START + 0x7000)) {
		puts("mapping over another's reservation");
		return 1;
	}
	/* the program maps that one at its fixed address */
	char *fixed = mmap(MAPAT(0x8000), PG, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (fixed != MAPAT(0x8000)) {
		printf("fixed mapping over its reservation: %s\n", strerror(errno));
		return 1;
	}
	memset(a, 1, 4 * PG);
	memset(b, 2, 2 * PG);
	memset(fixed, 3, PG);
	stf__avoid_release_unused();
	if (!is_mapped(AVOID_START) || !is_mapped(AVOID_START + 0x6000) ||
	    !is_mapped(AVOID_START + 0x8000) || a[4 * PG - 1] != 1 || b[0] != 2 || fixed[0] != 3) {
		puts("a mapping given back with the unused reservations");
		return 1;
	}
	puts("ok");
	return 0;
}

/* A transfer's batch of placed blocks (stf__place_batch_begin): the pages
 * they occupy are populated at once, so writing the blocks faults no
 * page in one by one; a page no block took is reserved again at the end
 * (child: mode "batch", STF_AVOID = BATCH_START + 8 MiB). */
#define BATCH_START 0x200000000000ull
#define BATCH_DENSE (4ull << 20)   /* 64-byte blocks every 256 bytes */
#define BATCH_UNUSED (BATCH_START + (7ull << 20))

static bool page_inaccessible(uint64_t a)
{
	FILE *f = fopen("/proc/self/maps", "r");
	unsigned long long lo, hi;
	char perms[8];
	bool none = false;
	while (f && fscanf(f, "%llx-%llx %7s%*[^\n]", &lo, &hi, perms) == 3)
		if (lo <= a && a < hi)
			none = strcmp(perms, "---p") == 0;
	if (f)
		fclose(f);
	return none;
}

static int batch_child(void)
{
	size_t n = BATCH_DENSE / 256 + 1;
	struct stf_place_block *blocks = calloc(n + 1, sizeof *blocks);
	for (size_t i = 0; i < n - 1; i++)
		blocks[i] = (struct stf_place_block){ BATCH_START + i * 256, 64 };
	blocks[n - 1] = (struct stf_place_block){ BATCH_UNUSED, 64 };  /* never placed */
	stf__place_batch_begin(blocks, n);
	for (size_t i = 0; i < n - 1; i++)
		if (stf__alloc_at(BATCH_START + i * 256, 64, 0, 0) !=
		    (void *)(uintptr_t)(BATCH_START + i * 256)) {
			printf("placement %zu failed: %s\n", i, strerror(errno));
			return 1;
		}
	stf__place_batch_end();
	struct rusage before, after;
	getrusage(RUSAGE_SELF, &before);
	for (size_t i = 0; i < n - 1; i++)
		memset((void *)(uintptr_t)(BATCH_START + i * 256), 7, 64);
	getrusage(RUSAGE_SELF, &after);
	long faults = after.ru_minflt - before.ru_minflt;
	if (faults > 64) {  /* one by one: 1024 */
		printf("%ld page faults writing 4 MiB of placed blocks\n", faults);
		return 1;
	}
	if (!page_inaccessible(BATCH_UNUSED) || page_inaccessible(BATCH_START)) {
		puts("unused page of the batch kept or used one given back");
		return 1;
	}
	for (size_t i = 0; i < n - 1; i++)
		free((void *)(uintptr_t)(BATCH_START + i * 256));
	if (!page_inaccessible(BATCH_START + BATCH_DENSE / 2)) {
		puts("freed page left accessible");
		return 1;
	}
	free(blocks);
	puts("ok");
	return 0;
}

/* The heap's slot of the zone holds nothing the past version published:
 * with ranges in the zone's first slot and (past 8 TiB) its last, the
 * turn wraps around to the first slot, which must be skipped (its first
 * units were free, but the heap would have met the range as it grew). */
#define ZONE_START 0x100000000000ull
static int zone_child(void)
{
	uintptr_t b = (uintptr_t)malloc(16);
	if (b >= ZONE_START && b < ZONE_START + (1ull << 30) + PG) {
		puts("heap in a slot holding an avoided range");
		return 1;
	}
	puts("ok");
	return 0;
}

/* The address of a first heap block (the reversed and new versions of
 * an update, given the same STF_AVOID). */
static int first_block_child(void)
{
	printf("%lx\n", (unsigned long)(uintptr_t)malloc(16));
	return 0;
}

/* Run this binary in mode `mode` with environment envp; its output. */
static void run_child(const char *mode, char **envp, char *out, size_t len)
{
	int pfd[2];
	ck_assert_int_eq(pipe(pfd), 0);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 1);
	char *argv[] = { "test-placement", (char *)mode, NULL };
	pid_t pid;
	ck_assert_int_eq(posix_spawn(&pid, "/proc/self/exe", &fa, NULL, argv, envp), 0);
	close(pfd[1]);
	ssize_t n = read(pfd[0], out, len - 1);
	close(pfd[0]);
	ck_assert_int_gt(n, 0);
	out[n] = 0;
	int st;
	waitpid(pid, &st, 0);
}

static void spawn_child(const char *mode, const char *env, const char *expect)
{
	char *envp[] = { (char *)env, NULL };
	char buf[256];
	run_child(mode, envp, buf, sizeof buf);
	ck_assert_str_eq(buf, expect);
}

START_TEST(avoid_reserved)
{
	spawn_child("avoid", "STF_AVOID=1000-2000,200000000000-200000100000,200000200000-200000300000",
		    "ok\n");
	spawn_child("avoid", "STF_AVOID=nonsense", "range not reserved\n");
}
END_TEST

START_TEST(mappings_at_their_address)
{
	spawn_child("mapat", "STF_AVOID=200000000000-200000004000,200000005000-200000006000,"
		    "200000008000-200000009000", "ok\n");
}
END_TEST

START_TEST(batch_populated)
{
	spawn_child("batch", "STF_AVOID=200000000000-200000800000", "ok\n");
}
END_TEST

START_TEST(zone_slot_skips_avoided)
{
	/* 1 GiB into the first slot; 8150 GiB: inside the last of 64 slots */
	spawn_child("zone", "STF_AVOID=100040000000-100040001000,17f580000000-17f580001000", "ok\n");
}
END_TEST

/* The reversed version's startup runs like the new version's, and the
 * way back creates blocks at the new version's addresses in it (those a
 * word the transfer does not rewrite points to): its heap is not where
 * the new version's is, but in the next slot of the zone (it was the
 * same slot: "File exists"; t/xfer/rplace16). */
START_TEST(reversed_heap_apart)
{
	char *future[] = { "STF_AVOID=100040000000-100040001000", "STF_ROLE=future", NULL };
	char *reversed[] = { "STF_AVOID=100040000000-100040001000", "STF_ROLE=reversed", NULL };
	char f[64], r[64];
	run_child("first-block", future, f, sizeof f);
	run_child("first-block", reversed, r, sizeof r);
	uint64_t fa = strtoull(f, NULL, 16), ra = strtoull(r, NULL, 16);
	ck_assert_uint_gt(fa, ZONE_START + (1ull << 30));
	ck_assert_uint_ge(ra, fa + (128ull << 20));
}
END_TEST

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "avoid"))
		return avoid_child();
	if (argc == 2 && !strcmp(argv[1], "batch"))
		return batch_child();
	if (argc == 2 && !strcmp(argv[1], "mapat"))
		return mapat_child();
	if (argc == 2 && !strcmp(argv[1], "zone"))
		return zone_child();
	if (argc == 2 && !strcmp(argv[1], "first-block"))
		return first_block_child();
	Suite *s = suite_create("placement");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, place_and_refuse);
	tcase_add_test(tc, place_threads);
	tcase_add_test(tc, placed_enumerated_remotely);
	tcase_add_test(tc, avoid_describe);
	tcase_add_test(tc, avoid_reserved);
	tcase_add_test(tc, mappings_at_their_address);
	tcase_add_test(tc, batch_populated);
	tcase_add_test(tc, zone_slot_skips_avoided);
	tcase_add_test(tc, reversed_heap_apart);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
