/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * wrap-pair - xmalloc + xfree pairs of a program's size-prefixing wrapper
 * declared STF_ALLOCATOR (a 16-byte header {magic, size} in front of what
 * it returns: Redis's zmalloc), strings of 8-200 bytes replaced at random
 * in a live window of 1,024, for wrap-pair-cost.sh, which counts the
 * instructions of run_pairs (callgrind) built plain and with the plugin.
 * Built with -DCHECK_LOOKUP (with the plugin), it then checks that each
 * live string is the object libstf finds at its address, of its size.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "stf.h"

#define PAIRS 100000
#define WINDOW 1024
#define MAGIC 0x7772617070616972ull

struct hdr {
	uint64_t magic;
	uint64_t size;
};

static size_t used_memory;

STF_ALLOCATOR static void *xmalloc(size_t n)
{
	struct hdr *h = malloc(sizeof *h + n);
	if (!h)
		abort();
	h->magic = MAGIC;
	h->size = n;
	used_memory += n;
	return h + 1;
}

static void xfree(void *p)
{
	struct hdr *h = (struct hdr *)p - 1;
	if (h->magic != MAGIC)
		abort();
	used_memory -= h->size;
	free(h);
}

static char *set[WINDOW];
static size_t sizes[WINDOW];

static char *make(unsigned r, long i, size_t *n)
{
	*n = 8 + r % 193;
	char *s = xmalloc(*n);
	s[0] = (char)i;
	return s;
}

/* The pairs: what the count covers. */
__attribute__((noinline)) static void run_pairs(void)
{
	unsigned seed = 12345;
	for (long i = 0; i < PAIRS; i++) {
		seed = seed * 1103515245u + 12345u;
		unsigned k = (seed >> 8) % WINDOW;
		xfree(set[k]);
		seed = seed * 1103515245u + 12345u;
		set[k] = make(seed >> 8, i, &sizes[k]);
	}
}

int main(void)
{
	for (int k = 0; k < WINDOW; k++)
		set[k] = make((unsigned)k * 2654435761u >> 8, k, &sizes[k]);
	run_pairs();
#ifdef CHECK_LOOKUP
	for (int k = 0; k < WINDOW; k++) {
		struct stf_object_info info;
		if (stf_lookup(set[k], &info) < 0 || info.base != set[k] || info.size != sizes[k]) {
			fprintf(stderr, "wrap-pair: string %d (%zu bytes at %p) not found as itself\n",
				k, sizes[k], (void *)set[k]);
			return 1;
		}
	}
#endif
	for (int k = 0; k < WINDOW; k++)
		xfree(set[k]);
	return used_memory != 0;
}
