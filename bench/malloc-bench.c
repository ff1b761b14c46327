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
 *               blocks of 8-520 bytes in batches of 256, the consumer
 *               frees them (every free is cross-thread); ns per block
 *     realloc   512 buffers grown by realloc in steps of 1-256 bytes up to
 *               64 KiB, then freed and started again
 *     kvmix     a key-value store (chained hash table, 50,000 keys, values
 *               of 8-200 bytes): 50% GET, 30% SET, 20% DEL
 *   malloc-bench kvrss KEYS          peak RSS in KiB of that store filled
 *                                   with KEYS keys
 *   malloc-bench mixrss COUNT        peak RSS in KiB after allocating COUNT
 *                                   blocks of 8-256 bytes (kept live)
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define WORKING_SET 64

static size_t block_size;
static long ops_per_thread;

static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

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

static int run_rss(long count, size_t size)
{
	void **keep = malloc((size_t)count * sizeof *keep);
	for (long i = 0; i < count; i++) {
		keep[i] = malloc(size);
		memset(keep[i], 1, size);
	}
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("%ld\n", ru.ru_maxrss);
	for (long i = 0; i < count; i++)
		free(keep[i]);
	free(keep);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Patterns.                                                             */

static unsigned next_rand(unsigned *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return *seed >> 8;
}

static size_t small_size(unsigned *seed)
{
	return 8 + next_rand(seed) % 513;
}

#define WINDOW 4096
#define WINDOW_OPS 2000000L

static double window(unsigned id)
{
	unsigned seed = id * 2654435761u + 7;
	void **set = calloc(WINDOW, sizeof *set);
	for (int k = 0; k < WINDOW; k++)
		set[k] = malloc(small_size(&seed));
	double t0 = cpu_s();
	for (long i = 0; i < WINDOW_OPS; i++) {
		unsigned k = next_rand(&seed) % WINDOW;
		free(set[k]);
		set[k] = malloc(small_size(&seed));
		*(volatile char *)set[k] = (char)i;
	}
	double t = cpu_s() - t0;
	for (int k = 0; k < WINDOW; k++)
		free(set[k]);
	free(set);
	return t / WINDOW_OPS;
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

static double prodcons(unsigned id)
{
	struct pair p = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };
	pthread_t c;
	if (pthread_create(&c, NULL, consumer, &p))
		abort();
	unsigned seed = id * 2654435761u + 3;
	double t = 0;
	for (int b = 0; b < BATCHES; b++) {
		void **batch = malloc(BATCH * sizeof *batch);
		double t0 = cpu_s();
		for (int i = 0; i < BATCH; i++) {
			batch[i] = malloc(small_size(&seed));
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
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("%ld\n", ru.ru_maxrss);
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

static int run_mixrss(long count)
{
	unsigned seed = 17;
	void **keep = malloc((size_t)count * sizeof *keep);
	for (long i = 0; i < count; i++) {
		size_t n = 8 + next_rand(&seed) % 249;
		keep[i] = malloc(n);
		memset(keep[i], 1, n);
	}
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("%ld\n", ru.ru_maxrss);
	for (long i = 0; i < count; i++)
		free(keep[i]);
	free(keep);
	return 0;
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
	static const struct { const char *name; double (*fn)(unsigned); } patterns[] = {
		{ "window", window }, { "prodcons", prodcons }, { "realloc", grow },
		{ "kvmix", kvmix }, { "mixed", mixed }, { "aligned", aligned },
	};
	for (size_t i = 0; argc == 3 && i < sizeof patterns / sizeof patterns[0]; i++)
		if (!strcmp(argv[1], patterns[i].name)) {
			int threads = atoi(argv[2]);
			if (threads < 1 || threads > 64) {
				fprintf(stderr, "malloc-bench: THREADS must be 1..64\n");
				return 2;
			}
			return run_pattern(patterns[i].fn, threads);
		}
	fprintf(stderr, "usage: malloc-bench ops SIZE THREADS | rss COUNT SIZE | kvrss KEYS |\n"
		"       malloc-bench mixrss COUNT |\n"
		"       malloc-bench window|prodcons|realloc|kvmix|mixed|aligned THREADS\n");
	return 2;
}
