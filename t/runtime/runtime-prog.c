/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A small program linked with libstf that exercises the allocator the way
 * real programs do (threads, libc-allocated blocks, realloc, aligned
 * blocks, mmap, registered objects) and prints a deterministic summary of
 * what libstf recorded.  valgrind.sh runs it natively and under valgrind
 * and requires identical output.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "alloc.h"
#include "root.h"
#include "stf.h"

#define NTHREADS 3
#define PER_THREAD 400

static void *blocks[NTHREADS][PER_THREAD];

/* The dynamic ID of a block. */
static uint64_t id_of(const void *p)
{
	struct stf_block_info b = { 0 };
	stf__heap_block(p, &b);
	return b.id;
}

static void *worker(void *arg)
{
	void **b = arg;
	for (int i = 0; i < PER_THREAD; i++) {
		size_t n = (size_t)(i * 37 % 500) + 1;
		b[i] = i % 3 == 0 ? malloc(n) : i % 3 == 1 ? calloc(n, 2) : realloc(malloc(1), n);
		memset(b[i], 'a' + i % 26, 1);
	}
	return NULL;
}

/* Count the live tracked objects of a kind (root.h: enum stf_slot_kind)
 * whose site describes as starting with `prefix`. */
struct count { uint32_t kind; const char *prefix; unsigned n; };

static int count_one(void *ctx, uint64_t addr, uint64_t size, uint32_t kind)
{
	struct count *c = ctx;
	char id[200];
	uint32_t site = 0;
	(void)size;
	if (kind != c->kind)
		return 0;
	if (kind == STF_SLOT_HEAP) {
		struct stf_block_info b;
		if (stf__heap_block((void *)(uintptr_t)addr, &b))
			site = b.site;
	} else {
		struct stf_object_info info;
		if (stf_lookup((void *)(uintptr_t)addr, &info) == 0 && info.id) {
			c->n += !strncmp(info.id, c->prefix, strlen(c->prefix));
			return 0;
		}
	}
	stf__site_describe(site, id, sizeof id);
	c->n += !strncmp(id, c->prefix, strlen(c->prefix));
	return 0;
}

static unsigned count_slots(uint32_t kind, const char *prefix)
{
	struct count c = { kind, prefix, 0 };
	stf__objects_each(count_one, &c);
	return c.n;
}

int main(void)
{
	pthread_t t[NTHREADS];
	for (int i = 0; i < NTHREADS; i++)
		pthread_create(&t[i], NULL, worker, blocks[i]);
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
	printf("blocks allocated by this program: %u\n", count_slots(STF_SLOT_HEAP, "runtime-prog+"));

	char *s = strdup("state transfer");
	char id[200];
	struct stf_object_info info;
	if (stf_lookup(s + 6, &info) < 0) {
		perror("stf_lookup");
		return 1;
	}
	printf("strdup block: site %s, offset %zu, size %zu\n", info.id, info.offset, info.size);

	uint64_t before = id_of(s);
	s = realloc(s, 4000);
	printf("realloc keeps id: %s\n", id_of(s) == before ? "yes" : "no");

	void *al = NULL;
	if (posix_memalign(&al, 256, 1000) == 0)
		printf("aligned 256: %s\n", (uintptr_t)al % 256 == 0 ? "yes" : "no");

	char *m = mmap(NULL, 8 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(m + 4096, 4096);
	printf("mappings: %u\n", count_slots(STF_SLOT_MMAP, "runtime-prog+"));

	static long pool[64];
	stf_register_object(pool, sizeof pool, "long", 64, "runtime-prog.c:pool");
	if (stf_lookup(&pool[10], &info) == 0)
		printf("registered: %s %s[%zu] offset %zu\n", info.id, info.type, info.count, info.offset);

	FILE *f = fopen("/proc/self/exe", "r");
	char *line = NULL;
	size_t cap = 0;
	if (f && getline(&line, &cap, f) > 0)
		printf("getline block tracked: %s\n", stf_lookup(line, &info) == 0 ? "yes" : "no");
	if (f)
		fclose(f);
	free(line);

	for (int i = 0; i < NTHREADS; i++)
		for (int j = 0; j < PER_THREAD; j++)
			free(blocks[(i + 1) % NTHREADS][j]);
	printf("after free: %u\n", count_slots(STF_SLOT_HEAP, "runtime-prog+"));
	stf__site_describe(stf__site_by_id("libz.so.1+0x42"), id, sizeof id);
	printf("external site on demand: %s\n", id);
	free(s);
	free(al);
	munmap(m, 8 * 4096);
	stf_unregister_object(pool);
	return 0;
}
