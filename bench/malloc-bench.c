/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * malloc-bench - cost of malloc+free, built twice: against glibc's
 * allocator and linked with libstf (run-malloc runs both and prints the
 * ratios).
 *
 *   malloc-bench ops SIZE THREADS   CPU ns per malloc+free pair, each
 *                                   thread replacing blocks of a 64-block
 *                                   working set in pseudo-random order
 *                                   (thread CPU time: the machine may be
 *                                   shared, wall time would measure that)
 *   malloc-bench rss COUNT SIZE     peak RSS in KiB after allocating COUNT
 *                                   blocks of SIZE bytes (kept live)
 *   malloc-bench PATTERN THREADS    CPU ns per operation of a pattern run by
 *                                   THREADS threads (each on its own data):
 *     window    a random live window of 4,096 blocks of 8-520 bytes: free
 *               one, allocate one of a random size
 *     mixed     a random live window of 1,024 blocks of several sizes: 60%
 *               8-256 bytes, 25% 256 B-4 KiB, 10% 4-64 KiB, 5% 64-512 KiB
 *               (touched at both ends)
 *     aligned   a random live window of 2,048 blocks from posix_memalign
 *               (alignment 32-4096, 8-2,000 bytes)
 *     prodcons  THREADS producer/consumer pairs: the producer allocates
 *               blocks of 8-520 bytes (or SIZE bytes: PATTERN THREADS SIZE)
 *               in batches of 256, the consumer frees them (every free is
 *               cross-thread); ns per block
 *     realloc   512 buffers grown by realloc in steps of 1-256 bytes up to
 *               64 KiB, then freed and started again
 *     kvmix     a key-value store (chained hash table, 50,000 keys, values
 *               of 8-200 bytes): 50% GET, 30% SET, 20% DEL
 *     strings   1,024 strings appended to 1-32 bytes at a time (realloc to
 *               the exact length, as string builders do) up to 16 B-4 KiB,
 *               then freed and started again; ns per append
 *     calloc    a random live window of 4,096 blocks from calloc (1-64
 *               elements of 4-64 bytes)
 *     large     a random live window of 32 blocks of 64 KiB-4 MiB, each
 *               touched once per 4 KiB page (glibc mmaps most of them)
 *     memalign  a random live window of 1,024 blocks from memalign and
 *               aligned_alloc: alignment 16 B-64 KiB, 8 B-32 KiB
 *     burst     short-lived bursts: 1-2,000 blocks of 16-512 bytes
 *               allocated, then all freed (half in order, half in reverse)
 *     longlived 100,000 blocks (or SIZE) of 8-520 bytes kept for the whole run, a
 *               live window of 1,024 blocks churned beside them and one of
 *               the long-lived ones replaced every 16 operations
 *     llskew    the same with sizes skewed as a server's objects are: 70%
 *               16-64 bytes, 25% 64-512, 5% 512 B-4 KiB
 *     shuffle   all threads replace random blocks of one shared table of
 *               16,384 (8-520 bytes, or SIZE): most frees are of a block
 *               another thread allocated
 *     resize    1,024 buffers realloc'd to random sizes of 16 B-16 KiB
 *               (shrinking as often as growing)
 *     bigcalloc calloc of 256 KiB-8 MiB arrays in a window of 8, every page
 *               then written
 *     request   a server's request: a 16 KiB input buffer, 4-12 small
 *               parsed objects, a reply of 64 B-2 KiB, one object kept in
 *               a cache of 10,000; ns per request
 *     pcwindow  THREADS producer/consumer pairs where the consumer keeps a
 *               live window of 4,096 of the blocks it received (8-520
 *               bytes, or SIZE), freeing a random one for each new one:
 *               cross-thread frees of blocks of random lifetimes; ns per
 *               block
 *     bmt       glibc's own benchmark's shape (benchtests/bench-malloc-thread):
 *               each thread frees and allocates random blocks of a window
 *               of 1,024, sizes 4 B-32 KiB with every doubling as likely
 *               (small blocks most frequent, as in glibc's inverse-power
 *               distribution)
 *     larson    each thread replaces random blocks of a window of 1,024
 *               (16-512 bytes, or SIZE) in 50 generations: each a new
 *               thread that goes on with the window the last one left
 *               and exits (frees into the spans of threads that are gone)
 *     midwindow a random live window of 4,096 blocks of 1-4 KiB
 *     bufgrow   32 buffers grown by realloc 4-64 KiB at a time from 4 KiB to
 *               64 KiB-1 MiB, the new pages written (malloc-buffers.c)
 *     tables    16 hash tables, each replaced by a calloc'd one twice its
 *               size when full, 16 KiB to 1 MiB (malloc-buffers.c)
 *     sdsgrow   1,024 strings grown as Redis's sds: appends of 1-64 B, room
 *               doubled, trimmed at a goal of 64 B-64 KiB and grown again
 *               or freed; ns per realloc (malloc-buffers.c)
 *     shrink    read buffers of 4-64 KiB trimmed by realloc to the 16 B-4 KiB
 *               they got, kept in a live window of 4,096 (malloc-buffers.c)
 *     zerotmp   zeroed tables of 64 KiB-2 MiB calloc'd for one job, a few
 *               entries used, freed at once (malloc-buffers.c)
 *     usable    Redis's zmalloc: malloc_usable_size counted at every malloc
 *               and free, strings appended into their usable room
 *               (malloc-buffers.c)
 *     threads   a thread per connection: 2,000 threads in turn, each making
 *               8-40 blocks and exiting; process CPU per block
 *               (malloc-lifecycle.c)
 *     forkchild children forked from a heap of 20,000 blocks allocating
 *               and freeing, fork and the child's CPU per block
 *               (malloc-lifecycle.c)
 *     ring      messages sent one by one through a ring to a consumer
 *               thread that keeps them in a live window (malloc-lifecycle.c)
 *     hist      a server's histogram: 88% 16-64 B, 8% to 1 KiB, 3.9% 4-64
 *               KiB, 0.1% about 1 MiB (malloc-mixes.c)
 *     cacheline aligned_alloc(64, 64 B-1 KiB) and one in ten
 *               posix_memalign(4096, 4-64 KiB) (malloc-mixes.c)
 *     strdup    requests' strings (4-120 B) strdup'd, most freed at once,
 *               one in eight kept in a window of 1,024; run by several
 *               threads at once (malloc-servers.c)
 *     midcalloc a window of 1,024 connections' zeroed states of 1-16 KiB
 *               (malloc-servers.c)
 *     bigburst  bursts of 2-12 buffers of 64 KiB-1 MiB, then all freed;
 *               ns per buffer (malloc-servers.c)
 *     alignmix  a window of 4,096 blocks of 16-512 B, one in four from
 *               posix_memalign(16|32|64) (malloc-servers.c)
 *     vecshrink vectors grown by doubling to 64-32,768 elements, shrunk
 *               to fit by realloc; ns per realloc (malloc-servers.c)
 *   malloc-bench kvrss KEYS          peak RSS in KiB of that store filled
 *                                   with KEYS keys
 *   malloc-bench mixrss COUNT        peak RSS in KiB after allocating COUNT
 *                                   blocks of 8-256 bytes (kept live)
 *   malloc-bench fragrss COUNT       peak RSS in KiB of COUNT blocks of 8-256
 *                                   bytes, 3 of 4 freed at random, then
 *                                   COUNT / 2 blocks of 16-1,024 bytes
 *   malloc-bench winrss COUNT        peak RSS in KiB of COUNT blocks of a
 *                                   server's sizes, churned 4 x COUNT times
 *   malloc-bench rebuildrss SESSIONS peak RSS in KiB of SESSIONS sessions (4
 *                                   blocks each), half closed, then half as
 *                                   many again of other sizes
 *   malloc-bench driftrss COUNT      peak RSS in KiB of COUNT blocks of
 *                                   16-128 bytes, 2 x COUNT times one
 *                                   replaced by one of 64-1,024 bytes
 *   malloc-bench kvbigrss KEYS       peak RSS in KiB of a store of KEYS keys
 *                                   with values of 10 B-4 KiB, each value
 *                                   then rewritten with another size
 *   (the RSS shapes: malloc-rss.c)
 */
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "malloc-bench.h"

#define WORKING_SET 64

static size_t block_size;
static long ops_per_thread;

struct churn { unsigned id; double cpu; };

static void *churn(void *arg)
{
	struct churn *c = arg;
	double t0 = cpu_s();
	unsigned seed = c->id * 2654435761u + 1;
	void *set[WORKING_SET] = { 0 };
	for (long i = 0; i < ops_per_thread; i++) {
		seed = seed * 1103515245u + 12345u;
		unsigned k = (seed >> 16) % WORKING_SET;
		free(set[k]);
		set[k] = malloc(block_size);
		/* touch it, as a program would */
		*(volatile char *)set[k] = (char)i;
	}
	for (int k = 0; k < WORKING_SET; k++)
		free(set[k]);
	c->cpu = cpu_s() - t0;
	return NULL;
}

static int run_ops(size_t size, int threads)
{
	block_size = size;
	/* About the same run time for every size class. */
	ops_per_thread = size <= 4096 ? 2000000 : size <= 65536 ? 300000 : 40000;
	pthread_t t[64];
	struct churn c[64];
	for (int i = 0; i < threads; i++) {
		c[i].id = (unsigned)i + 1;
		if (pthread_create(&t[i], NULL, churn, &c[i])) {
			perror("malloc-bench: pthread_create");
			return 1;
		}
	}
	double cpu = 0;
	for (int i = 0; i < threads; i++) {
		pthread_join(t[i], NULL);
		cpu += c[i].cpu;
	}
	printf("%.2f\n", cpu * 1e9 / ((double)ops_per_thread * threads));
	return 0;
}

/* ------------------------------------------------------------------ */
/* Patterns.                                                             */

static size_t small_size(unsigned *seed)
{
	return 8 + next_rand(seed) % 513;
}

size_t pattern_size;
int pattern_threads;

#define WINDOW 4096
#define WINDOW_OPS 2000000L

double replace_window(unsigned seed, size_t (*size)(unsigned *), int n, long ops)
{
	void **set = calloc((size_t)n, sizeof *set);
	for (int k = 0; k < n; k++)
		set[k] = malloc(size(&seed));
	double t0 = cpu_s();
	for (long i = 0; i < ops; i++) {
		unsigned k = next_rand(&seed) % (unsigned)n;
		free(set[k]);
		set[k] = malloc(size(&seed));
		*(volatile char *)set[k] = (char)i;
	}
	double t = cpu_s() - t0;
	for (int k = 0; k < n; k++)
		free(set[k]);
	free(set);
	return t / ops;
}

static double window(unsigned id)
{
	return replace_window(id * 2654435761u + 7, small_size, WINDOW, WINDOW_OPS);
}

/* midwindow: pages, messages, rows of 1-4 KiB. */
static size_t mid_size(unsigned *seed)
{
	return 1024 + next_rand(seed) % 3073;
}

static double midwindow(unsigned id)
{
	return replace_window(id * 2654435761u + 47, mid_size, WINDOW, WINDOW_OPS / 2);
}

/* Producer/consumer: batches of blocks handed over through a queue. */
#define BATCH 256
#define BATCHES 4000
#define QUEUE 8

struct pair {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	void **queue[QUEUE];
	unsigned head, tail;
	double consumer_cpu;
};

static void *consumer(void *arg)
{
	struct pair *p = arg;
	double t = 0;
	for (int b = 0; b < BATCHES; b++) {
		pthread_mutex_lock(&p->lock);
		while (p->head == p->tail)
			pthread_cond_wait(&p->cond, &p->lock);
		void **batch = p->queue[p->tail++ % QUEUE];
		pthread_cond_broadcast(&p->cond);
		pthread_mutex_unlock(&p->lock);
		double t0 = cpu_s();
		for (int i = 0; i < BATCH; i++) {
			if (*(volatile char *)batch[i] != (char)i)
				abort();
			free(batch[i]);
		}
		t += cpu_s() - t0;
		free(batch);
	}
	p->consumer_cpu = t;
	return NULL;
}

/* The producer's side of prodcons and pcwindow: BATCHES batches of
 * blocks handed to `consume`'s thread; the CPU time of both per block. */
static double produce(void *(*consume)(void *), unsigned seed)
{
	struct pair p = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };
	pthread_t c;
	if (pthread_create(&c, NULL, consume, &p))
		abort();
	double t = 0;
	for (int b = 0; b < BATCHES; b++) {
		void **batch = malloc(BATCH * sizeof *batch);
		double t0 = cpu_s();
		for (int i = 0; i < BATCH; i++) {
			batch[i] = malloc(pattern_size ? pattern_size : small_size(&seed));
			*(char *)batch[i] = (char)i;
		}
		t += cpu_s() - t0;
		pthread_mutex_lock(&p.lock);
		while (p.head - p.tail == QUEUE)
			pthread_cond_wait(&p.cond, &p.lock);
		p.queue[p.head++ % QUEUE] = batch;
		pthread_cond_broadcast(&p.cond);
		pthread_mutex_unlock(&p.lock);
	}
	pthread_join(c, NULL);
	return (t + p.consumer_cpu) / ((double)BATCH * BATCHES);
}

static double prodcons(unsigned id)
{
	return produce(consumer, id * 2654435761u + 3);
}

/* pcwindow: the consumer keeps the blocks in a live window. */
#define PC_WINDOW 4096

static void *window_consumer(void *arg)
{
	struct pair *p = arg;
	void **live = calloc(PC_WINDOW, sizeof *live);
	unsigned seed = 97;
	double t = 0;
	for (int b = 0; b < BATCHES; b++) {
		pthread_mutex_lock(&p->lock);
		while (p->head == p->tail)
			pthread_cond_wait(&p->cond, &p->lock);
		void **batch = p->queue[p->tail++ % QUEUE];
		pthread_cond_broadcast(&p->cond);
		pthread_mutex_unlock(&p->lock);
		double t0 = cpu_s();
		for (int i = 0; i < BATCH; i++) {
			unsigned k = next_rand(&seed) % PC_WINDOW;
			free(live[k]);
			live[k] = batch[i];
		}
		t += cpu_s() - t0;
		free(batch);
	}
	for (int k = 0; k < PC_WINDOW; k++)
		free(live[k]);
	free(live);
	p->consumer_cpu = t;
	return NULL;
}

static double pcwindow(unsigned id)
{
	return produce(window_consumer, id * 2654435761u + 29);
}

/* larson: a window handed from thread to thread, each generation a new
 * thread. */
#define LARSON_WINDOW 1024
#define LARSON_GENS 50
#define LARSON_OPS 20000L   /* per generation */

struct generation { void **live; unsigned seed; double cpu; };

static void *larson_generation(void *arg)
{
	struct generation *g = arg;
	double t0 = cpu_s();
	for (long i = 0; i < LARSON_OPS; i++) {
		unsigned k = next_rand(&g->seed) % LARSON_WINDOW;
		free(g->live[k]);
		g->live[k] = malloc(pattern_size ? pattern_size : 16 + next_rand(&g->seed) % 497);
		*(volatile char *)g->live[k] = (char)i;
	}
	g->cpu += cpu_s() - t0;
	return NULL;
}

static double larson(unsigned id)
{
	struct generation g = { calloc(LARSON_WINDOW, sizeof(void *)), id * 2654435761u + 31, 0 };
	for (int n = 0; n < LARSON_GENS; n++) {
		pthread_t t;
		if (pthread_create(&t, NULL, larson_generation, &g))
			abort();
		pthread_join(t, NULL);
	}
	for (int k = 0; k < LARSON_WINDOW; k++)
		free(g.live[k]);
	free(g.live);
	return g.cpu / ((double)LARSON_OPS * LARSON_GENS);
}

/* bmt: sizes of 4 B-32 KiB, a random doubling (4 << 0..12), then a
 * random size within it. */
#define BMT_WINDOW 1024
#define BMT_OPS 1000000L

static size_t doubling_size(unsigned *seed)
{
	size_t lo = (size_t)4 << next_rand(seed) % 13;
	return lo + next_rand(seed) % lo;
}

static double bmt(unsigned id)
{
	return replace_window(id * 2654435761u + 53, doubling_size, BMT_WINDOW, BMT_OPS);
}

#define BUFFERS 512
#define REALLOC_OPS 1000000L

static double grow(unsigned id)
{
	unsigned seed = id * 2654435761u + 5;
	char *buf[BUFFERS] = { 0 };
	size_t len[BUFFERS] = { 0 };
	double t0 = cpu_s();
	for (long i = 0; i < REALLOC_OPS; i++) {
		unsigned k = next_rand(&seed) % BUFFERS;
		if (len[k] > 65536) {
			free(buf[k]);
			buf[k] = NULL;
			len[k] = 0;
		}
		len[k] += 1 + next_rand(&seed) % 256;
		buf[k] = realloc(buf[k], len[k]);
		buf[k][len[k] - 1] = (char)i;
	}
	double t = cpu_s() - t0;
	for (int k = 0; k < BUFFERS; k++)
		free(buf[k]);
	return t / REALLOC_OPS;
}

/* A key-value store as servers keep one. */
struct entry { struct entry *next; char *key; char *value; size_t vlen; };
#define BUCKETS 65536

static struct entry **kv_slot(struct entry **table, const char *key)
{
	unsigned h = 5381;
	for (const char *c = key; *c; c++)
		h = h * 33 + (unsigned char)*c;
	struct entry **e = &table[h % BUCKETS];
	while (*e && strcmp((*e)->key, key))
		e = &(*e)->next;
	return e;
}

static void kv_set(struct entry **table, const char *key, unsigned *seed)
{
	struct entry **e = kv_slot(table, key);
	if (!*e) {
		*e = calloc(1, sizeof **e);
		(*e)->key = strdup(key);
	} else {
		free((*e)->value);
	}
	(*e)->vlen = 8 + next_rand(seed) % 193;
	(*e)->value = malloc((*e)->vlen);
	memset((*e)->value, 'v', (*e)->vlen);
}

static void kv_del(struct entry **table, const char *key)
{
	struct entry **e = kv_slot(table, key), *d = *e;
	if (!d)
		return;
	*e = d->next;
	free(d->key);
	free(d->value);
	free(d);
}

static void kv_free(struct entry **table)
{
	for (int b = 0; b < BUCKETS; b++)
		while (table[b]) {
			struct entry *d = table[b];
			table[b] = d->next;
			free(d->key);
			free(d->value);
			free(d);
		}
	free(table);
}

#define KV_KEYS 50000
#define KV_OPS 2000000L

static double kvmix(unsigned id)
{
	unsigned seed = id * 2654435761u + 11;
	struct entry **table = calloc(BUCKETS, sizeof *table);
	char key[32];
	for (int k = 0; k < KV_KEYS; k += 2) {
		snprintf(key, sizeof key, "key:%d", k);
		kv_set(table, key, &seed);
	}
	volatile size_t sink = 0;
	double t0 = cpu_s();
	for (long i = 0; i < KV_OPS; i++) {
		unsigned r = next_rand(&seed) % 100;
		snprintf(key, sizeof key, "key:%u", next_rand(&seed) % KV_KEYS);
		if (r < 50) {
			struct entry *e = *kv_slot(table, key);
			sink += e ? e->vlen : 0;
		} else if (r < 80) {
			kv_set(table, key, &seed);
		} else {
			kv_del(table, key);
		}
	}
	double t = cpu_s() - t0;
	kv_free(table);
	return t / KV_OPS;
}

static int run_kvrss(long keys)
{
	unsigned seed = 1;
	struct entry **table = calloc(BUCKETS, sizeof *table);
	char key[32];
	for (long k = 0; k < keys; k++) {
		snprintf(key, sizeof key, "key:%ld", k);
		kv_set(table, key, &seed);
	}
	print_peak_rss();
	kv_free(table);
	return 0;
}

#define MIXED_WINDOW 1024
#define MIXED_OPS 400000L

static size_t mixed_size(unsigned *seed)
{
	unsigned r = next_rand(seed) % 100;
	if (r < 60)
		return 8 + next_rand(seed) % 249;
	if (r < 85)
		return 256 + next_rand(seed) % 3841;
	if (r < 95)
		return 4096 + next_rand(seed) % 61441;
	return 65536 + next_rand(seed) % 458753;
}

static double mixed(unsigned id)
{
	unsigned seed = id * 2654435761u + 11;
	void **set = calloc(MIXED_WINDOW, sizeof *set);
	size_t *len = calloc(MIXED_WINDOW, sizeof *len);
	double t0 = cpu_s();
	for (long i = 0; i < MIXED_OPS; i++) {
		unsigned k = next_rand(&seed) % MIXED_WINDOW;
		free(set[k]);
		len[k] = mixed_size(&seed);
		set[k] = malloc(len[k]);
		((volatile char *)set[k])[0] = (char)i;
		((volatile char *)set[k])[len[k] - 1] = (char)i;
	}
	double t = cpu_s() - t0;
	for (int k = 0; k < MIXED_WINDOW; k++)
		free(set[k]);
	free(set);
	free(len);
	return t / MIXED_OPS;
}

#define ALIGNED_WINDOW 2048

static double aligned(unsigned id)
{
	unsigned seed = id * 2654435761u + 13;
	void **set = calloc(ALIGNED_WINDOW, sizeof *set);
	double t0 = cpu_s();
	for (long i = 0; i < WINDOW_OPS / 2; i++) {
		unsigned k = next_rand(&seed) % ALIGNED_WINDOW;
		free(set[k]);
		if (posix_memalign(&set[k], (size_t)32 << next_rand(&seed) % 8,
				   8 + next_rand(&seed) % 1993))
			set[k] = NULL;
		else
			*(volatile char *)set[k] = (char)i;
	}
	double t = cpu_s() - t0;
	for (int k = 0; k < ALIGNED_WINDOW; k++)
		free(set[k]);
	free(set);
	return t / (WINDOW_OPS / 2);
}

#define STRINGS 1024
#define STRING_OPS 2000000L

static double strings(unsigned id)
{
	unsigned seed = id * 2654435761u + 19;
	char *str[STRINGS] = { 0 };
	size_t len[STRINGS] = { 0 }, goal[STRINGS] = { 0 };
	double t0 = cpu_s();
	for (long i = 0; i < STRING_OPS; i++) {
		unsigned k = next_rand(&seed) % STRINGS;
		if (len[k] >= goal[k]) {
			free(str[k]);
			str[k] = NULL;
			len[k] = 0;
			goal[k] = 16 + next_rand(&seed) % 4081;
		}
		size_t add = 1 + next_rand(&seed) % 32;
		str[k] = realloc(str[k], len[k] + add + 1);
		memset(str[k] + len[k], 'a', add);
		len[k] += add;
		str[k][len[k]] = 0;
	}
	double t = cpu_s() - t0;
	for (int k = 0; k < STRINGS; k++)
		free(str[k]);
	return t / STRING_OPS;
}

static double calloc_window(unsigned id)
{
	unsigned seed = id * 2654435761u + 23;
	void **set = calloc(WINDOW, sizeof *set);
	double t0 = cpu_s();
	for (long i = 0; i < WINDOW_OPS; i++) {
		unsigned k = next_rand(&seed) % WINDOW;
		free(set[k]);
		size_t n = 1 + next_rand(&seed) % 64, each = 4 + next_rand(&seed) % 61;
		set[k] = calloc(n, each);
		if (((volatile char *)set[k])[n * each - 1])
			abort();
	}
	double t = cpu_s() - t0;
	for (int k = 0; k < WINDOW; k++)
		free(set[k]);
	free(set);
	return t / WINDOW_OPS;
}

#define LARGE_WINDOW 32
#define LARGE_OPS 20000L

static double large(unsigned id)
{
	unsigned seed = id * 2654435761u + 29;
	char *set[LARGE_WINDOW] = { 0 };
	double t0 = cpu_s();
	for (long i = 0; i < LARGE_OPS; i++) {
		unsigned k = next_rand(&seed) % LARGE_WINDOW;
		free(set[k]);
		/* 64 KiB-4 MiB, smaller sizes more likely */
		size_t n = (size_t)65536 << next_rand(&seed) % 7;
		n += next_rand(&seed) % n;
		if (n > (size_t)4 << 20)
			n = (size_t)4 << 20;
		set[k] = malloc(n);
		for (size_t off = 0; off < n; off += 4096)
			set[k][off] = (char)i;
	}
	double t = cpu_s() - t0;
	for (int k = 0; k < LARGE_WINDOW; k++)
		free(set[k]);
	return t / LARGE_OPS;
}

#define MEMALIGN_WINDOW 1024
#define MEMALIGN_OPS 400000L

static double memalign_window(unsigned id)
{
	unsigned seed = id * 2654435761u + 31;
	void **set = calloc(MEMALIGN_WINDOW, sizeof *set);
	double t0 = cpu_s();
	for (long i = 0; i < MEMALIGN_OPS; i++) {
		unsigned k = next_rand(&seed) % MEMALIGN_WINDOW;
		free(set[k]);
		size_t align = (size_t)16 << next_rand(&seed) % 13;
		size_t n = 8 + next_rand(&seed) % 32761;
		if (i & 1) {
			set[k] = memalign(align, n);
		} else {
			n = (n + align - 1) & ~(align - 1);  /* C11 wants a multiple */
			set[k] = aligned_alloc(align, n);
		}
		if (!set[k] || (uintptr_t)set[k] % align)
			abort();
		*(volatile char *)set[k] = (char)i;
	}
	double t = cpu_s() - t0;
	for (int k = 0; k < MEMALIGN_WINDOW; k++)
		free(set[k]);
	free(set);
	return t / MEMALIGN_OPS;
}

#define BURST_MAX 2000
#define BURST_BLOCKS 2000000L

static double burst(unsigned id)
{
	unsigned seed = id * 2654435761u + 37;
	void **set = malloc(BURST_MAX * sizeof *set);
	long blocks = 0;
	double t0 = cpu_s();
	while (blocks < BURST_BLOCKS) {
		unsigned n = 1 + next_rand(&seed) % BURST_MAX;
		for (unsigned i = 0; i < n; i++) {
			set[i] = malloc(16 + next_rand(&seed) % 497);
			*(volatile char *)set[i] = (char)i;
		}
		if (n & 1)
			for (unsigned i = 0; i < n; i++)
				free(set[i]);
		else
			for (unsigned i = n; i-- > 0;)
				free(set[i]);
		blocks += n;
	}
	double t = cpu_s() - t0;
	free(set);
	return t / blocks;
}

#define CHURN 1024

/* A long-lived set (SIZE blocks, default 100,000) kept for the whole
 * run, a live window of 1,024 blocks churned beside it and one of the
 * long-lived ones replaced every 16 operations; sizes from `size`. */
static double long_lived_churn(unsigned id, size_t (*size)(unsigned *))
{
	unsigned seed = id * 2654435761u + 41;
	size_t long_lived = pattern_size ? pattern_size : 100000;
	void **keep = malloc(long_lived * sizeof *keep);
	void **set = calloc(CHURN, sizeof *set);
	for (size_t k = 0; k < long_lived; k++)
		keep[k] = malloc(size(&seed));
	double t0 = cpu_s();
	for (long i = 0; i < WINDOW_OPS; i++) {
		void **p = i % 16 ? &set[next_rand(&seed) % CHURN] :
				    &keep[next_rand(&seed) % long_lived];
		free(*p);
		*p = malloc(size(&seed));
		*(volatile char *)*p = (char)i;
	}
	double t = cpu_s() - t0;
	for (size_t k = 0; k < long_lived; k++)
		free(keep[k]);
	for (int k = 0; k < CHURN; k++)
		free(set[k]);
	free(keep);
	free(set);
	return t / WINDOW_OPS;
}

static double longlived(unsigned id)
{
	return long_lived_churn(id, small_size);
}

static double llskew(unsigned id)
{
	return long_lived_churn(id, skewed_size);
}

/* All threads exchange blocks through one shared table: each replaces a
 * random slot's block (allocated by any thread) with one of its own, so
 * most frees are of another thread's block. */
#define SHARED_SLOTS 16384
#define SHUFFLE_OPS 1000000L
static void *_Atomic shared_slots[SHARED_SLOTS];

static double shuffle(unsigned id)
{
	unsigned seed = id * 2654435761u + 13;
	double t0 = cpu_s();
	for (long i = 0; i < SHUFFLE_OPS; i++) {
		char *b = malloc(pattern_size ? pattern_size : small_size(&seed));
		*b = (char)i;
		free(atomic_exchange(&shared_slots[next_rand(&seed) % SHARED_SLOTS], b));
	}
	return (cpu_s() - t0) / SHUFFLE_OPS;
}

/* 1,024 buffers resized by realloc to random sizes of 16 B-16 KiB: as
 * many shrink as grow (buffers trimmed after a burst, then regrown). */
#define RESIZE_OPS 1000000L

static double resize(unsigned id)
{
	unsigned seed = id * 2654435761u + 17;
	char *buf[1024] = { 0 };
	double t0 = cpu_s();
	for (long i = 0; i < RESIZE_OPS; i++) {
		unsigned k = next_rand(&seed) % 1024;
		size_t n = 16 + next_rand(&seed) % 16369;
		buf[k] = realloc(buf[k], n);
		buf[k][n - 1] = (char)i;
	}
	double t = cpu_s() - t0;
	for (int k = 0; k < 1024; k++)
		free(buf[k]);
	return t / RESIZE_OPS;
}

/* Large zeroed arrays (tables, bitmaps): calloc of 256 KiB-8 MiB in a
 * window of 8, every page written as a program fills its table. */
#define BIGCALLOC_OPS 2000L

static double bigcalloc(unsigned id)
{
	unsigned seed = id * 2654435761u + 19;
	char *set[8] = { 0 };
	double t0 = cpu_s();
	for (long i = 0; i < BIGCALLOC_OPS; i++) {
		unsigned k = next_rand(&seed) % 8;
		size_t n = ((size_t)256 << 10) + (size_t)next_rand(&seed) % ((size_t)8 << 20);
		free(set[k]);
		set[k] = calloc(n / 8, 8);
		for (size_t o = 0; o < n / 8 * 8; o += 4096)
			set[k][o] += 1;
	}
	double t = cpu_s() - t0;
	for (int k = 0; k < 8; k++)
		free(set[k]);
	return t / BIGCALLOC_OPS;
}

/* A server's request: a 16 KiB input buffer, 4-12 parsed small objects
 * (16-96 B), a reply of 64 B-2 KiB; all freed but one small object,
 * which replaces one of 10,000 kept (a cache entry).  ns per request. */
#define REQUEST_OPS 300000L

static double request(unsigned id)
{
	unsigned seed = id * 2654435761u + 23;
	void **kept = calloc(10000, sizeof *kept);
	double t0 = cpu_s();
	for (long i = 0; i < REQUEST_OPS; i++) {
		char *in = malloc(16384), *parts[12];
		in[0] = in[16383] = (char)i;
		unsigned np = 4 + next_rand(&seed) % 9;
		for (unsigned j = 0; j < np; j++) {
			size_t n = 16 + next_rand(&seed) % 81;
			parts[j] = malloc(n);
			memset(parts[j], 'p', n);
		}
		size_t rn = 64 + next_rand(&seed) % 1985;
		char *reply = malloc(rn);
		memset(reply, 'r', rn);
		free(in);
		free(reply);
		unsigned k = next_rand(&seed) % 10000;
		free(kept[k]);
		kept[k] = parts[0];
		for (unsigned j = 1; j < np; j++)
			free(parts[j]);
	}
	double t = cpu_s() - t0;
	for (int k = 0; k < 10000; k++)
		free(kept[k]);
	free(kept);
	return t / REQUEST_OPS;
}

struct run { double (*fn)(unsigned); unsigned id; double ns; };

static void *run_one(void *arg)
{
	struct run *r = arg;
	r->ns = r->fn(r->id) * 1e9;
	return NULL;
}

static int run_pattern(double (*fn)(unsigned), int threads)
{
	pattern_threads = threads;
	pthread_t t[64];
	struct run r[64];
	for (int i = 0; i < threads; i++) {
		r[i] = (struct run){ fn, (unsigned)i + 1, 0 };
		if (pthread_create(&t[i], NULL, run_one, &r[i])) {
			perror("malloc-bench: pthread_create");
			return 1;
		}
	}
	double ns = 0;
	for (int i = 0; i < threads; i++) {
		pthread_join(t[i], NULL);
		ns += r[i].ns;
	}
	printf("%.2f\n", ns / threads);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "ops")) {
		int threads = atoi(argv[3]);
		if (threads < 1 || threads > 64) {
			fprintf(stderr, "malloc-bench: THREADS must be 1..64\n");
			return 2;
		}
		return run_ops(strtoul(argv[2], NULL, 0), threads);
	}
	if (argc == 4 && !strcmp(argv[1], "rss"))
		return run_rss(atol(argv[2]), strtoul(argv[3], NULL, 0));
	if (argc == 3 && !strcmp(argv[1], "kvrss"))
		return run_kvrss(atol(argv[2]));
	if (argc == 3 && !strcmp(argv[1], "mixrss"))
		return run_mixrss(atol(argv[2]));
	if (argc == 3 && !strcmp(argv[1], "fragrss"))
		return run_fragrss(atol(argv[2]));
	if (argc == 3 && !strcmp(argv[1], "winrss"))
		return run_winrss(atol(argv[2]));
	if (argc == 3 && !strcmp(argv[1], "rebuildrss"))
		return run_rebuildrss(atol(argv[2]));
	if (argc == 3 && !strcmp(argv[1], "driftrss"))
		return run_driftrss(atol(argv[2]));
	if (argc == 3 && !strcmp(argv[1], "kvbigrss"))
		return run_kvbigrss(atol(argv[2]));
	static const struct { const char *name; double (*fn)(unsigned); } patterns[] = {
		{ "window", window }, { "prodcons", prodcons }, { "realloc", grow },
		{ "kvmix", kvmix }, { "mixed", mixed }, { "aligned", aligned },
		{ "strings", strings }, { "calloc", calloc_window }, { "large", large },
		{ "memalign", memalign_window }, { "burst", burst }, { "longlived", longlived },
		{ "llskew", llskew }, { "shuffle", shuffle }, { "resize", resize },
		{ "bigcalloc", bigcalloc }, { "request", request }, { "pcwindow", pcwindow },
		{ "larson", larson }, { "bmt", bmt }, { "midwindow", midwindow },
		{ "bufgrow", bufgrow }, { "tables", tables }, { "sdsgrow", sdsgrow },
		{ "shrink", shrink }, { "zerotmp", zerotmp }, { "usable", usable },
		{ "threads", short_threads }, { "forkchild", forkchild }, { "ring", ring },
		{ "hist", hist }, { "cacheline", cacheline }, { "strdup", strdup_storm },
		{ "midcalloc", midcalloc }, { "bigburst", bigburst }, { "alignmix", alignmix },
		{ "vecshrink", vecshrink },
	};
	if (argc == 4)
		pattern_size = strtoul(argv[3], NULL, 0);
	for (size_t i = 0; (argc == 3 || argc == 4) && i < sizeof patterns / sizeof patterns[0]; i++)
		if (!strcmp(argv[1], patterns[i].name)) {
			int threads = atoi(argv[2]);
			if (threads < 1 || threads > 64) {
				fprintf(stderr, "malloc-bench: THREADS must be 1..64\n");
				return 2;
			}
			return run_pattern(patterns[i].fn, threads);
		}
	fprintf(stderr, "usage: malloc-bench ops SIZE THREADS | rss COUNT SIZE | kvrss KEYS |\n"
		"       malloc-bench mixrss|fragrss|winrss|rebuildrss|driftrss|kvbigrss COUNT |\n"
		"       malloc-bench window|prodcons|realloc|kvmix|mixed|aligned|strings|\n"
		"                    calloc|large|memalign|burst|longlived|llskew|shuffle|\n"
		"                    resize|bigcalloc|request|pcwindow|larson|bmt|midwindow|\n"
		"                    bufgrow|tables|sdsgrow|shrink|zerotmp|usable|threads|\n"
		"                    forkchild|ring|hist|cacheline|strdup|midcalloc|\n"
		"                    bigburst|alignmix|vecshrink THREADS [SIZE]\n");
	return 2;
}
