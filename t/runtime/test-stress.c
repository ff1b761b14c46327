/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Stress test of libstf's allocator (libstf/runtime/spans.c): threads
 * allocate with every entry point (malloc, calloc, realloc growing and
 * shrinking, memalign & co., large blocks), hand blocks to each other to
 * be freed by another thread, and the process forks in the middle; every
 * block's bytes are checked before it is reallocated or freed, and its
 * description (start, size, alignment) against what was asked.
 *
 *   test-stress [OPS]   OPS operations per thread (default 20,000)
 */
#include <malloc.h>
#include <stdatomic.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "alloc.h"

#define THREADS 4
#define SLOTS   1024
#define RING    256

struct block {
	unsigned char *p;
	size_t size;
	size_t align;   /* asked alignment, 0: malloc's */
	unsigned char tag;
};

static long ops = 20000;
static atomic_int failures;

/* Blocks on their way to another thread, which frees them. */
static struct block ring[RING];
static unsigned ring_n;
static pthread_mutex_t ring_lock = PTHREAD_MUTEX_INITIALIZER;

static void fail(const char *what, const struct block *b)
{
	fprintf(stderr, "test-stress: %s (block %p, %zu bytes, align %zu)\n", what,
		(void *)b->p, b->size, b->align);
	atomic_fetch_add(&failures, 1);
}

static unsigned next_rand(unsigned *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return *seed >> 8;
}

/* Bytes [from, to) of b hold its tag (each byte offset by its index). */
static void fill(struct block *b, size_t from)
{
	for (size_t i = from; i < b->size; i++)
		b->p[i] = (unsigned char)(b->tag + i);
}

static void check(const struct block *b, size_t upto)
{
	for (size_t i = 0; i < upto && i < b->size; i++)
		if (b->p[i] != (unsigned char)(b->tag + i)) {
			fail("bytes changed", b);
			return;
		}
	struct stf_block_info info;
	if (!stf__heap_block(b->p, &info) || info.start != (uintptr_t)b->p || info.size != b->size)
		fail("described wrongly", b);
	else if (b->align && ((uintptr_t)b->p & (b->align - 1)))
		fail("misaligned", b);
	else if (malloc_usable_size(b->p) < b->size)
		fail("usable size too small", b);
}

static size_t random_size(unsigned *seed)
{
	unsigned r = next_rand(seed) % 100;
	if (r < 70)
		return next_rand(seed) % 600;           /* small */
	if (r < 95)
		return 600 + next_rand(seed) % 20000;   /* medium, up to the largest classes */
	return 20000 + next_rand(seed) % 300000;        /* large spans */
}

static const size_t aligns[] = { 32, 64, 256, 4096, 8192, 65536, 131072 };

static void make(struct block *b, unsigned *seed)
{
	size_t size = random_size(seed);
	unsigned how = next_rand(seed) % 8;
	void *p = NULL;
	b->align = 0;
	b->size = size;
	b->tag = (unsigned char)next_rand(seed);
	if (how == 0) {
		p = calloc(1, size);
		for (size_t i = 0; p && i < size; i++)
			if (((unsigned char *)p)[i]) {
				b->p = p;
				fail("calloc not zeroed", b);
				break;
			}
	} else if (how == 1) {
		b->align = aligns[next_rand(seed) % (sizeof aligns / sizeof aligns[0])];
		p = memalign(b->align, size);
	} else if (how == 2) {
		b->align = aligns[next_rand(seed) % 5];
		if (posix_memalign(&p, b->align, size))
			p = NULL;
	} else if (how == 3) {
		b->align = 64;
		size = (size + 63) & ~(size_t)63;
		b->size = size;
		p = aligned_alloc(64, size);
	} else {
		p = malloc(size);
	}
	b->p = p;
	if (!p) {
		fail("allocation failed", b);
		b->size = 0;
		return;
	}
	fill(b, 0);
}

static void resize(struct block *b, unsigned *seed)
{
	size_t size = next_rand(seed) % 2 ? b->size + next_rand(seed) % 3000 :
		      b->size / (2 + next_rand(seed) % 3);
	check(b, b->size);
	unsigned char *p = realloc(b->p, size ? size : 1);
	if (!p) {
		fail("realloc failed", b);
		return;
	}
	size_t kept = size < b->size ? size : b->size;
	b->p = p;
	b->size = size ? size : 1;
	b->align = 0;  /* realloc keeps malloc's alignment only */
	check(b, kept);
	fill(b, kept);
}

static void give_away(struct block *b)
{
	pthread_mutex_lock(&ring_lock);
	if (ring_n < RING) {
		ring[ring_n++] = *b;
		b->p = NULL;
	}
	pthread_mutex_unlock(&ring_lock);
}

static void free_foreign(void)
{
	struct block b = { 0 };
	pthread_mutex_lock(&ring_lock);
	if (ring_n)
		b = ring[--ring_n];
	pthread_mutex_unlock(&ring_lock);
	if (b.p) {
		check(&b, b.size);
		free(b.p);
	}
}

static void *worker(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg * 2654435761u + 7;
	static __thread struct block slots[SLOTS];
	for (long i = 0; i < ops; i++) {
		struct block *b = &slots[next_rand(&seed) % SLOTS];
		unsigned what = next_rand(&seed) % 10;
		if (!b->p) {
			make(b, &seed);
		} else if (what < 4) {
			check(b, b->size);
			free(b->p);
			b->p = NULL;
		} else if (what < 7) {
			resize(b, &seed);
		} else if (what < 9) {
			give_away(b);
		} else {
			free_foreign();
		}
	}
	for (int k = 0; k < SLOTS; k++)
		if (slots[k].p) {
			check(&slots[k], slots[k].size);
			free(slots[k].p);
		}
	return NULL;
}

/* The child of a fork taken while the workers run: the parent's blocks
 * (the ring's) are intact and its allocator works, also for blocks of
 * spans other threads owned. */
static int child(void)
{
	for (unsigned k = 0; k < ring_n; k++) {
		check(&ring[k], ring[k].size);
		free(ring[k].p);
	}
	ring_n = 0;
	unsigned seed = 99;
	struct block keep[512] = { 0 };
	for (int i = 0; i < 20000; i++) {
		struct block *b = &keep[next_rand(&seed) % 512];
		if (b->p) {
			check(b, b->size);
			free(b->p);
		}
		make(b, &seed);
	}
	for (int k = 0; k < 512; k++)
		if (keep[k].p) {
			check(&keep[k], keep[k].size);
			free(keep[k].p);
		}
	return atomic_load(&failures) ? 1 : 0;
}

/* The edges of aligned allocation, many of each at once (where a span
 * starts decides where an aligned object lands): sizes 0, 1, around the
 * alignment, and the largest small class. */
static void edges(void)
{
	enum { MANY = 48 };
	static struct block many[MANY];
	for (size_t a = 0; a < sizeof aligns / sizeof aligns[0]; a++) {
		size_t al = aligns[a];
		const size_t sizes[] = { 0, 1, al - 1, al, al + 1, 16384, 16385 };
		for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
			for (int i = 0; i < MANY; i++) {
				struct block *b = &many[i];
				*b = (struct block){ memalign(al, sizes[k]), sizes[k], al,
						     (unsigned char)(i * 7 + k) };
				if (!b->p) {
					fail("memalign failed", b);
					return;
				}
				fill(b, 0);
			}
			for (int i = 0; i < MANY; i++) {
				check(&many[i], many[i].size);
				free(many[i].p);
			}
		}
	}
}

int main(int argc, char **argv)
{
	if (argc > 1)
		ops = atol(argv[1]);
	edges();
	pthread_t t[THREADS];
	for (uintptr_t i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, worker, (void *)(i + 1));
	usleep(20000);
	for (int f = 0; f < 3; f++) {
		pthread_mutex_lock(&ring_lock);
		pid_t pid = fork();
		if (pid == 0)
			_exit(child());
		pthread_mutex_unlock(&ring_lock);
		int st = 0;
		if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st)) {
			fprintf(stderr, "test-stress: the forked child failed (status %d)\n", st);
			atomic_fetch_add(&failures, 1);
		}
		usleep(10000);
	}
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	while (ring_n)
		free_foreign();
	int n = atomic_load(&failures);
	printf("test-stress: %ld operations x %d threads, %d failures\n", ops, THREADS, n);
	return n ? 1 : 0;
}
