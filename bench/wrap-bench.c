/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * wrap-bench - cost of a program's size-prefixing malloc wrapper declared
 * STF_ALLOCATOR (a 16-byte header {magic, size} in front of what it
 * returns, a used-memory counter added to atomically: Redis's zmalloc,
 * jobd's xmalloc), built plain (gcc) and instrumented (ttst-cc: each
 * object it hands out is a typed sub-object of its malloc block).
 * run-malloc prints the ratio.
 *
 *   wrap-bench THREADS [WINDOW]
 *                        CPU ns per xmalloc + xfree (thread CPU time):
 *                        each thread keeps a live window of WINDOW
 *                        objects (4,096 by default) of three types (a
 *                        connection, a message, a string of 8-200
 *                        bytes) and replaces one at random per step
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "stf.h"

#define OPS 2000000L
#define MAGIC 0x7772617062656e63ull

struct hdr {
	uint64_t magic;
	uint64_t size;
};

static size_t used_memory;

static void *xmalloc(size_t n) STF_ALLOCATOR;

static void *xmalloc(size_t n)
{
	struct hdr *h = malloc(sizeof *h + n);
	if (!h)
		abort();
	h->magic = MAGIC;
	h->size = n;
	__atomic_fetch_add(&used_memory, n, __ATOMIC_RELAXED);
	return h + 1;
}

static void xfree(void *p)
{
	struct hdr *h = (struct hdr *)p - 1;
	if (h->magic != MAGIC)
		abort();
	__atomic_fetch_sub(&used_memory, h->size, __ATOMIC_RELAXED);
	free(h);
}

struct conn {
	struct conn *next;
	int fd;
	unsigned flags;
	char addr[32];
};

struct msg {
	struct msg *next;
	struct conn *from;
	long seq;
	char body[72];
};

static long window = 4096;

static double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* One object of a random kind, its first word written. */
static void *make(unsigned r, long i)
{
	switch (r % 3) {
	case 0: {
		struct conn *c = xmalloc(sizeof *c);
		c->fd = (int)i;
		return c;
	}
	case 1: {
		struct msg *m = xmalloc(sizeof *m);
		m->seq = i;
		return m;
	}
	default: {
		size_t n = 8 + (r >> 2) % 193;
		char *s = xmalloc(n);
		s[0] = (char)i;
		return s;
	}
	}
}

static void *run(void *arg)
{
	double *ns = arg;
	void **set = calloc((size_t)window, sizeof *set);
	unsigned seed = (unsigned)(uintptr_t)arg * 2654435761u;
	for (long k = 0; k < window; k++) {
		seed = seed * 1103515245u + 12345u;
		set[k] = make(seed >> 8, k);
	}
	double t0 = cpu_s();
	for (long i = 0; i < OPS; i++) {
		seed = seed * 1103515245u + 12345u;
		unsigned k = (seed >> 8) % (unsigned)window;
		xfree(set[k]);
		seed = seed * 1103515245u + 12345u;
		set[k] = make(seed >> 8, i);
	}
	*ns = (cpu_s() - t0) * 1e9 / OPS;
	for (long k = 0; k < window; k++)
		xfree(set[k]);
	free(set);
	return NULL;
}

int main(int argc, char **argv)
{
	int threads = argc >= 2 ? atoi(argv[1]) : 0;
	window = argc >= 3 ? atol(argv[2]) : window;
	if (threads < 1 || threads > 64 || window < 1 || argc > 3) {
		fprintf(stderr, "usage: wrap-bench THREADS (1..64) [WINDOW]\n");
		return 2;
	}
	pthread_t t[64];
	double ns[64], sum = 0;
	for (int i = 0; i < threads; i++)
		if (pthread_create(&t[i], NULL, run, &ns[i])) {
			perror("wrap-bench: pthread_create");
			return 1;
		}
	for (int i = 0; i < threads; i++) {
		pthread_join(t[i], NULL);
		sum += ns[i];
	}
	printf("%.2f\n", sum / threads);
	return used_memory != 0;
}
