/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * pool-bench - cost of a program's own pool allocator whose allocation
 * function is declared STF_ALLOCATOR, built plain (gcc) and instrumented
 * (ttst-cc: each object the pool hands out is registered as a typed
 * sub-object of the pool's chunk).  run-malloc prints the ratio.
 *
 *   pool-bench THREADS   CPU ns per pool_alloc + pool_free pair: each
 *                        thread has its own pool of 64-byte objects carved
 *                        from 64 KiB chunks and replaces objects of a
 *                        random live window of 4,096 (thread CPU time)
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stf.h"

struct conn {
	struct conn *next;
	long fd;
	char name[48];
};

#define CHUNK 65536
#define WINDOW 4096
#define OPS 2000000L

struct pool {
	struct conn *free;
	char *chunk;
	size_t used;
};

STF_ALLOCATOR static struct conn *pool_alloc(struct pool *p)
{
	struct conn *c = p->free;
	if (c) {
		p->free = c->next;
		return c;
	}
	if (!p->chunk || p->used + sizeof *c > CHUNK) {
		p->chunk = malloc(CHUNK);
		if (!p->chunk)
			abort();
		p->used = 0;
	}
	c = (struct conn *)(p->chunk + p->used);
	p->used += sizeof *c;
	return c;
}

static void pool_free(struct pool *p, struct conn *c)
{
	c->next = p->free;
	p->free = c;
}

static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void *run(void *arg)
{
	double *ns = arg;
	/* the pools' chunks stay allocated: their objects are the state */
	struct pool *p = calloc(1, sizeof *p);
	struct conn **set = calloc(WINDOW, sizeof *set);
	unsigned seed = (unsigned)(uintptr_t)arg * 2654435761u;
	for (int k = 0; k < WINDOW; k++)
		set[k] = pool_alloc(p);
	double t0 = cpu_s();
	for (long i = 0; i < OPS; i++) {
		seed = seed * 1103515245u + 12345u;
		unsigned k = (seed >> 8) % WINDOW;
		pool_free(p, set[k]);
		set[k] = pool_alloc(p);
		set[k]->fd = i;
	}
	*ns = (cpu_s() - t0) * 1e9 / OPS;
	free(set);
	return NULL;
}

int main(int argc, char **argv)
{
	int threads = argc == 2 ? atoi(argv[1]) : 0;
	if (threads < 1 || threads > 64) {
		fprintf(stderr, "usage: pool-bench THREADS (1..64)\n");
		return 2;
	}
	pthread_t t[64];
	double ns[64], sum = 0;
	for (int i = 0; i < threads; i++)
		if (pthread_create(&t[i], NULL, run, &ns[i])) {
			perror("pool-bench: pthread_create");
			return 1;
		}
	for (int i = 0; i < threads; i++) {
		pthread_join(t[i], NULL);
		sum += ns[i];
	}
	printf("%.2f\n", sum / threads);
	return 0;
}
