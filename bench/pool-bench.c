/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * pool-bench - cost of a program's own pool allocator whose allocation
 * function is declared STF_ALLOCATOR, built plain (gcc) and instrumented
 * (ttst-cc: each object the pool hands out is registered as a typed
 * sub-object of the pool's chunk).  run-malloc prints the ratio.
 *
 *   pool-bench THREADS [SIZE [WINDOW]]
 *                        CPU ns per pool_alloc + pool_free pair: each
 *                        thread has its own pool of SIZE-byte objects
 *                        (32, 64, 256 or 1024; 64 by default) carved from
 *                        64 KiB chunks and replaces objects of a random
 *                        live window of WINDOW (4,096 by default; thread
 *                        CPU time)
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stf.h"

#define CHUNK 65536
#define OPS 2000000L

static long window = 4096;

static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* A pool of objects of type NAME (SIZE bytes, a connection-like record),
 * its STF_ALLOCATOR allocation function and its partner free (by name),
 * and the thread body replacing objects of the live window. */
#define POOL(NAME, SIZE)							\
struct NAME {									\
	struct NAME *next;							\
	long fd;								\
	char name[SIZE - sizeof(struct NAME *) - sizeof(long)];			\
};										\
struct NAME##_pool {								\
	struct NAME *free;							\
	char *chunk;								\
	size_t used;								\
};										\
STF_ALLOCATOR static struct NAME *NAME##_alloc(struct NAME##_pool *p)		\
{										\
	struct NAME *c = p->free;						\
	if (c) {								\
		p->free = c->next;						\
		return c;							\
	}									\
	if (!p->chunk || p->used + sizeof *c > CHUNK) {				\
		p->chunk = malloc(CHUNK);					\
		if (!p->chunk)							\
			abort();						\
		p->used = 0;							\
	}									\
	c = (struct NAME *)(p->chunk + p->used);				\
	p->used += sizeof *c;							\
	return c;								\
}										\
static void NAME##_free(struct NAME##_pool *p, struct NAME *c)			\
{										\
	c->next = p->free;							\
	p->free = c;								\
}										\
static void *NAME##_run(void *arg)						\
{										\
	double *ns = arg;							\
	/* the pools' chunks stay allocated: their objects are the state */	\
	struct NAME##_pool *p = calloc(1, sizeof *p);				\
	struct NAME **set = calloc((size_t)window, sizeof *set);		\
	unsigned seed = (unsigned)(uintptr_t)arg * 2654435761u;		\
	for (long k = 0; k < window; k++)					\
		set[k] = NAME##_alloc(p);					\
	double t0 = cpu_s();							\
	for (long i = 0; i < OPS; i++) {					\
		seed = seed * 1103515245u + 12345u;				\
		unsigned k = (seed >> 8) % (unsigned)window;			\
		NAME##_free(p, set[k]);						\
		set[k] = NAME##_alloc(p);					\
		set[k]->fd = i;							\
	}									\
	*ns = (cpu_s() - t0) * 1e9 / OPS;					\
	free(set);								\
	return NULL;								\
}

POOL(conn32, 32)
POOL(conn64, 64)
POOL(conn256, 256)
POOL(conn1024, 1024)

int main(int argc, char **argv)
{
	int threads = argc >= 2 ? atoi(argv[1]) : 0;
	int size = argc >= 3 ? atoi(argv[2]) : 64;
	window = argc >= 4 ? atol(argv[3]) : window;
	void *(*run)(void *) = size == 32 ? conn32_run : size == 64 ? conn64_run :
		size == 256 ? conn256_run : size == 1024 ? conn1024_run : NULL;
	if (threads < 1 || threads > 64 || !run || window < 1 || argc > 4) {
		fprintf(stderr, "usage: pool-bench THREADS (1..64) [SIZE (32, 64, 256, 1024) [WINDOW]]\n");
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
