/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * malloc-bench - cost of malloc+free, built twice: against glibc's
 * allocator and linked with libstf (run-malloc runs both and prints the
 * ratios).
 *
 *   malloc-bench ops SIZE THREADS   ns per malloc+free pair, each thread
 *                                   replacing blocks of a 64-block working
 *                                   set in pseudo-random order
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

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void *churn(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg * 2654435761u + 1;
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
	return NULL;
}

static int run_ops(size_t size, int threads)
{
	block_size = size;
	/* About the same run time for every size class. */
	ops_per_thread = size <= 4096 ? 2000000 : size <= 65536 ? 300000 : 40000;
	pthread_t t[64];
	double t0 = now_s();
	for (int i = 0; i < threads; i++)
		if (pthread_create(&t[i], NULL, churn, (void *)(uintptr_t)(i + 1))) {
			perror("malloc-bench: pthread_create");
			return 1;
		}
	for (int i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	double el = now_s() - t0;
	printf("%.2f\n", el * 1e9 / (double)ops_per_thread);
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
