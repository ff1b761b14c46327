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
 */
#include <pthread.h>
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
	fprintf(stderr, "usage: malloc-bench ops SIZE THREADS | rss COUNT SIZE\n");
	return 2;
}
