/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * pool-bench - cost of a program's own pool allocator whose allocation
 * function is declared STF_ALLOCATOR, built plain (gcc) and instrumented
 * (ttst-cc: each object the pool hands out is registered as a typed
 * sub-object of the pool's chunk).  run-malloc prints the ratio.
 *
 *   pool-bench THREADS [SIZE [WINDOW [PATTERN]]]
 *                        CPU ns per object (thread CPU time): each thread
 *                        has its own pool of SIZE-byte objects (32, 64,
 *                        256 or 1024; 64 by default) carved from 64 KiB
 *                        chunks, and a live window of WINDOW objects
 *                        (4,096 by default).  PATTERN:
 *                          random  replaces an object of the window at
 *                                  random (pool_free + pool_alloc; the
 *                                  default)
 *                          lifo    hands out WINDOW objects, then gives
 *                                  them back newest first
 *                          fifo    replaces the oldest object of the window
 *                          reset   hands out WINDOW objects, then frees
 *                                  the pool's chunks whole, without a
 *                                  pool_free per object (nginx's request
 *                                  pools)
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stf.h"

#define CHUNK 65536
#define OPS 2000000L

enum pattern { RANDOM, LIFO, FIFO, RESET };

static long window = 4096;
static enum pattern pattern = RANDOM;

static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* A pool's chunk: the one before it (a reset frees them all), then the
 * objects. */
struct chunk {
	struct chunk *prev;
	char objs[];
};

/* A pool of objects of type NAME (SIZE bytes, a connection-like record),
 * its STF_ALLOCATOR allocation function, its partner free (by name), its
 * reset (every chunk freed), and the thread body running the pattern. */
#define POOL(NAME, SIZE)							\
struct NAME {									\
	struct NAME *next;							\
	long fd;								\
	char name[SIZE - sizeof(struct NAME *) - sizeof(long)];			\
};										\
struct NAME##_pool {								\
	struct NAME *free;							\
	struct chunk *chunk;							\
	size_t used;								\
};										\
STF_ALLOCATOR static struct NAME *NAME##_alloc(struct NAME##_pool *p)		\
{										\
	struct NAME *c = p->free;						\
	if (c) {								\
		p->free = c->next;						\
		return c;							\
	}									\
	if (!p->chunk || p->used + sizeof *c > CHUNK - sizeof(struct chunk)) {	\
		struct chunk *n = malloc(CHUNK);				\
		if (!n)								\
			abort();						\
		n->prev = p->chunk;						\
		p->chunk = n;							\
		p->used = 0;							\
	}									\
	c = (struct NAME *)(p->chunk->objs + p->used);				\
	p->used += sizeof *c;							\
	return c;								\
}										\
static void NAME##_free(struct NAME##_pool *p, struct NAME *c)			\
{										\
	c->next = p->free;							\
	p->free = c;								\
}										\
static void NAME##_reset(struct NAME##_pool *p)					\
{										\
	while (p->chunk) {							\
		struct chunk *prev = p->chunk->prev;				\
		free(p->chunk);							\
		p->chunk = prev;						\
	}									\
	p->free = NULL;								\
	p->used = 0;								\
}										\
static void *NAME##_run(void *arg)						\
{										\
	double *ns = arg;							\
	/* the pools' chunks stay allocated: their objects are the state */	\
	struct NAME##_pool *p = calloc(1, sizeof *p);				\
	struct NAME **set = calloc((size_t)window, sizeof *set);		\
	unsigned seed = (unsigned)(uintptr_t)arg * 2654435761u;		\
	if (pattern == RANDOM || pattern == FIFO)				\
		for (long k = 0; k < window; k++)				\
			set[k] = NAME##_alloc(p);				\
	double t0 = cpu_s();							\
	for (long i = 0, k = 0; i < OPS; i++) {					\
		switch (pattern) {						\
		case RANDOM:							\
			seed = seed * 1103515245u + 12345u;			\
			k = (seed >> 8) % (unsigned)window;			\
			/* fall through */					\
		case FIFO:							\
			NAME##_free(p, set[k]);					\
			set[k] = NAME##_alloc(p);				\
			set[k]->fd = i;						\
			if (pattern == FIFO && ++k == window)			\
				k = 0;						\
			break;							\
		case LIFO:							\
		case RESET:							\
			set[k] = NAME##_alloc(p);				\
			set[k]->fd = i;						\
			if (++k < window)					\
				break;						\
			if (pattern == RESET)					\
				NAME##_reset(p);				\
			else							\
				while (k > 0)					\
					NAME##_free(p, set[--k]);		\
			k = 0;							\
			break;							\
		}								\
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
	static const char *const patterns[] = { "random", "lifo", "fifo", "reset" };
	int threads = argc >= 2 ? atoi(argv[1]) : 0;
	int size = argc >= 3 ? atoi(argv[2]) : 64;
	window = argc >= 4 ? atol(argv[3]) : window;
	int known = argc < 5;
	for (int i = 0; !known && i < 4; i++)
		if (!strcmp(argv[4], patterns[i])) {
			pattern = (enum pattern)i;
			known = 1;
		}
	void *(*run)(void *) = size == 32 ? conn32_run : size == 64 ? conn64_run :
		size == 256 ? conn256_run : size == 1024 ? conn1024_run : NULL;
	if (threads < 1 || threads > 64 || !run || window < 1 || argc > 5 || !known) {
		fprintf(stderr, "usage: pool-bench THREADS (1..64) [SIZE (32, 64, 256, 1024) "
			"[WINDOW [random|lifo|fifo|reset]]]\n");
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
