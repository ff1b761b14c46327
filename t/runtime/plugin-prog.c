/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Integration test program, built by plugin-runtime.sh with the real
 * stf.so plugin and linked with libstf: its allocation sites must come out
 * of the plugin's markers (site IDs, element types, counts), its update
 * point must publish the locals of its loop, and the slot table must hold
 * exactly the blocks it made, across threads.  Exits non-zero naming the
 * first failed check.
 */
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
#include "update.h"

struct entry {
	int key;
	char *val;
	struct entry *next;
};

#define NBUCKETS 16
#define NTHREADS 4
#define PER_THREAD 500

static struct entry *table[NBUCKETS];
static pthread_mutex_t table_lock = PTHREAD_MUTEX_INITIALIZER;
static volatile int stop;

#define CHECK(cond, ...)                                                 \
	do {                                                             \
		if (!(cond)) {                                           \
			fprintf(stderr, "plugin-prog: %s:%d: check failed: %s: ", \
				__FILE__, __LINE__, #cond);              \
			fprintf(stderr, __VA_ARGS__);                    \
			fputc('\n', stderr);                             \
			exit(1);                                         \
		}                                                        \
	} while (0)

static void put(int key, const char *val)
{
	struct entry *e = malloc(sizeof *e);
	e->key = key;
	e->val = strdup(val);
	pthread_mutex_lock(&table_lock);
	e->next = table[key % NBUCKETS];
	table[key % NBUCKETS] = e;
	pthread_mutex_unlock(&table_lock);
}

static void *filler(void *arg)
{
	int base = (int)(intptr_t)arg;
	char buf[32];
	for (int i = 0; i < PER_THREAD; i++) {
		snprintf(buf, sizeof buf, "value-%d", base + i);
		put(base + i, buf);
	}
	return NULL;
}

static volatile long loop_rounds;

/* A server-like loop: its locals are published at the update point. */
static void *server(void *arg)
{
	(void)arg;
	long handled = 4242;
	for (;;) {
		stf_update_point();
		if (stop)
			break;
		handled++;
		loop_rounds++;
		usleep(1000);
	}
	return NULL;
}

static uint32_t site_of(const void *p)
{
	struct stf_block_info b = { 0 };
	stf__heap_block(p, &b);
	return b.site;
}

static uint64_t id_of(const void *p)
{
	struct stf_block_info b = { 0 };
	stf__heap_block(p, &b);
	return b.id;
}

struct site_count { uint32_t site; unsigned n; };

static int count_site(void *ctx, uint64_t addr, uint64_t size, uint32_t kind)
{
	struct site_count *c = ctx;
	(void)size;
	c->n += kind == STF_SLOT_HEAP && site_of((void *)(uintptr_t)addr) == c->site;
	return 0;
}

static unsigned live_at_site(uint32_t site)
{
	struct site_count c = { site, 0 };
	stf__objects_each(count_site, &c);
	return c.n;
}

int main(void)
{
	CHECK(stf__root.units_end > stf__root.units_start, "no stf_units section found");

	/* Sites, types and counts from the plugin. */
	int *numbers = calloc(10, sizeof *numbers);
	struct stf_object_info info;
	CHECK(stf_lookup(numbers + 3, &info) == 0, "lookup of a calloc'd block");
	CHECK(!strncmp(info.id, "plugin-prog.c:main/", 19), "site id %s", info.id);
	CHECK(info.type && !strcmp(info.type, "int"), "type %s", info.type ? info.type : "(none)");
	CHECK(info.count == 10, "count %zu", info.count);
	CHECK(info.offset == 3 * sizeof(int), "offset %zu", info.offset);
	CHECK(stf__site_by_id(info.id) == site_of(numbers), "site by id of %s", info.id);
	char desc[256];
	stf__site_describe(site_of(numbers), desc, sizeof desc);
	CHECK(!strcmp(desc, info.id), "describe %s vs %s", desc, info.id);

	pthread_t t[NTHREADS];
	for (int i = 0; i < NTHREADS; i++)
		pthread_create(&t[i], NULL, filler, (void *)(intptr_t)(i * PER_THREAD));
	for (int i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);

	struct entry *e = table[5];
	CHECK(e != NULL, "table filled");
	CHECK(stf_lookup(&e->next, &info) == 0, "lookup of an entry");
	CHECK(!strncmp(info.id, "plugin-prog.c:put/", 18), "entry site %s", info.id);
	CHECK(info.type && !strcmp(info.type, "struct entry"), "entry type %s", info.type ? info.type : "(none)");
	CHECK(info.count == 1 && info.offset == offsetof(struct entry, next), "entry count/offset");
	uint32_t entry_site = site_of(e);
	CHECK(live_at_site(entry_site) == NTHREADS * PER_THREAD, "%u entries at the site",
	      live_at_site(entry_site));
	/* strdup in put: a plugin site too, not libc's. */
	CHECK(stf_lookup(e->val, &info) == 0, "lookup of a strdup'd value");
	CHECK(!strncmp(info.id, "plugin-prog.c:put/", 18), "value site %s", info.id);
	uint32_t val_site = site_of(e->val);
	CHECK(val_site != entry_site, "value and entry sites differ");
	CHECK(live_at_site(val_site) == NTHREADS * PER_THREAD, "%u values", live_at_site(val_site));
	/* Every entry and value at its site, and ids unique per site. */
	unsigned seen = 0;
	for (int b = 0; b < NBUCKETS; b++)
		for (struct entry *x = table[b]; x; x = x->next, seen++)
			CHECK(site_of(x) == entry_site && site_of(x->val) == val_site, "entry %d", x->key);
	CHECK(seen == NTHREADS * PER_THREAD, "%u entries in the table", seen);

	/* Statics. */
	CHECK(stf_lookup(&table[3], &info) == 0, "lookup of a static");
	CHECK(!strcmp(info.id, "plugin-prog.c:table"), "static id %s", info.id);
	CHECK(info.offset == 3 * sizeof table[0] && info.count == NBUCKETS, "static offset/count");

	/* An mmap call of the program is a plugin site too. */
	char *region = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(region != MAP_FAILED, "mmap");
	CHECK(stf_lookup(region + 5000, &info) == 0, "lookup in a mapping");
	CHECK(!strncmp(info.id, "plugin-prog.c:main/", 19), "mapping site %s", info.id);
	CHECK(info.offset == 5000 && info.size == 3 * 4096, "mapping offset/size");
	munmap(region, 3 * 4096);
	CHECK(stf_lookup(region + 5000, &info) < 0, "unmapped region forgotten");

	/* realloc keeps the ID; a realloc call site of the program re-sites. */
	uint64_t id = id_of(numbers);
	numbers = realloc(numbers, 1000 * sizeof *numbers);
	CHECK(id_of(numbers) == id, "realloc keeps the id");

	/* The update point of the server loop publishes its locals. */
	pthread_t srv;
	pthread_create(&srv, NULL, server, NULL);
	while (loop_rounds < 3)
		usleep(1000);
	CHECK(stf__quiesce(2000) == 0, "quiescence");
	CHECK(stf__root.nframes == 1, "%llu frames", (unsigned long long)stf__root.nframes);
	const struct stf_parked_frame *f = (const void *)(uintptr_t)stf__root.frames;
	CHECK(f->unit != 0, "update point rewritten by the plugin");
	CHECK(f->nlocals >= 1, "locals published");
	int found = 0;
	const uint64_t *locals = (const uint64_t *)(uintptr_t)f->locals;
	for (uint32_t i = 0; i < f->nlocals; i++)
		found |= *(const long *)(uintptr_t)locals[i] >= 4242 &&
			 *(const long *)(uintptr_t)locals[i] < 4242 + 1000000;
	CHECK(found, "the local 'handled' among the published locals");
	stf__resume();
	stop = 1;
	pthread_join(srv, NULL);
	printf("plugin-prog: ok (%u entries, sites %u/%u)\n", seen, entry_site, val_site);
	return 0;
}
