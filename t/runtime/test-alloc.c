/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Unit tests of libstf's allocation tracking (runtime/alloc.c, sites.c,
 * mmap.c, lookup.c): the malloc family, sites, IDs, the slot table as the
 * transfer engine reads it, mmap tracking, user objects and stf_lookup.
 * The heap's spans and classes are tested in test-heap.c, threads, fork
 * and memory per thread in test-threads.c.
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


extern char **environ;

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

static void add_tests(TCase *tc)
{
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
	tcase_add_test(tc, mmap_tracking);
	tcase_add_test(tc, user_objects);
	tcase_add_test(tc, lookup_heap);
	tcase_add_test(tc, id_base_env);
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "first-id")) {
		void *p = calloc(1, 1);  /* initialized: blk() reads through a const pointer */
		printf("%llu\n", (unsigned long long)blk(p).id);
		return 0;
	}
	return run_tests("alloc", add_tests);
}
