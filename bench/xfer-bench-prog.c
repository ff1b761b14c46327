/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * xfer-bench-prog N [big]: the state whose transfer bench/run-xfer
 * measures.  N heap objects in three shapes: a linked list, a binary
 * search tree and a chained hash table whose entries point into
 * themselves (interior pointers); with "big", N 4 KiB buffers held by a
 * pointer array instead (bandwidth rather than per-object costs).  At
 * startup it times a plain memcpy of as many bytes as the
 * objects hold (best of 5) and prints it, then loops at an update point.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <stf.h>

/* Built with -DXFER_BENCH_NEW_TYPES: the next release of these types, as
 * make eval's update-time runs need (every object type-transformed: a
 * member added, one widened, members reordered). */
#ifndef XFER_BENCH_NEW_TYPES
struct node {
	struct node *next;
	long value;
	int key;
};

struct tree {
	struct tree *left, *right;
	long key;
};

struct entry {
	struct entry *chain;
	char *key;      /* points into keybuf: interior pointer */
	long value;
	char keybuf[16];
};
#else
struct node {
	long key;
	struct node *next;
	long value;
	long added;
};

struct tree {
	long key;
	struct tree *right, *left;
	unsigned hits;
};

struct entry {
	char keybuf[16];
	long value;
	char *key;
	struct entry *chain;
	int added;
};
#endif

static struct node *list;
static struct tree *root;
static struct entry **buckets;
static size_t nbuckets;
static size_t nobjects, nbytes;
static char **buffers;

static __attribute__((noinline)) void build_big(size_t n)
{
	buffers = malloc(n * sizeof(*buffers));
	nobjects++;
	nbytes += n * sizeof(*buffers);
	for (size_t i = 0; i < n; i++) {
		buffers[i] = malloc(4096);
		memset(buffers[i], (int)(i & 0xff), 4096);
		nobjects++;
		nbytes += 4096;
	}
}

static struct tree *insert(struct tree *t, long key)
{
	struct tree **p = &t;
	while (*p)
		p = key < (*p)->key ? &(*p)->left : &(*p)->right;
	*p = malloc(sizeof(**p));
	(*p)->left = (*p)->right = NULL;
	(*p)->key = key;
	return t;
}

static __attribute__((noinline)) void build(size_t n)
{
	size_t third = n / 3 ? n / 3 : 1;
	uint64_t rnd = 88172645463325252ULL;

	for (size_t i = 0; i < third; i++) {
		struct node *nd = malloc(sizeof(*nd));
		nd->next = list;
		nd->value = (long)i;
		nd->key = (int)i;
		list = nd;
		nobjects++;
		nbytes += sizeof(*nd);
	}
	for (size_t i = 0; i < third; i++) {
		rnd ^= rnd << 13;
		rnd ^= rnd >> 7;
		rnd ^= rnd << 17;
		root = insert(root, (long)(rnd >> 1));
		nobjects++;
		nbytes += sizeof(struct tree);
	}
	nbuckets = third / 2 + 1;
	buckets = calloc(nbuckets, sizeof(*buckets));
	nobjects++;
	nbytes += nbuckets * sizeof(*buckets);
	for (size_t i = 0; nobjects < n; i++) {
		struct entry *e = malloc(sizeof(*e));
		snprintf(e->keybuf, sizeof(e->keybuf), "k%zu", i);
		e->key = e->keybuf + 1;
		e->value = (long)i;
		e->chain = buckets[i % nbuckets];
		buckets[i % nbuckets] = e;
		nobjects++;
		nbytes += sizeof(*e);
	}
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000;

	if (!stf_is_updating()) {
		if (argc > 2 && !strcmp(argv[2], "big"))
			build_big(n);
		else
			build(n);
		/* the baseline: copying the same number of bytes in memory */
		char *a = malloc(nbytes), *b = malloc(nbytes);
		double best = 1e9;
		memset(a, 1, nbytes);
		memset(b, 2, nbytes);
		for (int r = 0; r < 5; r++) {
			double t = now();
			memcpy(b, a, nbytes);
			t = now() - t;
			if (t < best)
				best = t;
		}
		printf("objects=%zu bytes=%zu memcpy_seconds=%.9f check=%d\n", nobjects, nbytes,
		       best, b[nbytes / 2]);
		fflush(stdout);
		free(a);
		free(b);
	}
	for (;;) {
		stf_update_point();
		usleep(5000);
	}
}
