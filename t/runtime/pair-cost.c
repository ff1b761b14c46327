/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * pair-cost - malloc+free pairs for pair-cost.sh, which counts the
 * instructions of run_pairs (callgrind) built with glibc's allocator and
 * linked with libstf: blocks of 16 B (entries after the objects), 64 B
 * (compact entries) and 256 B (16-byte entries) replaced at random in a
 * working set of 64, as malloc-bench's `ops` does.
 */
#include <stdlib.h>

#define PAIRS 100000
#define SET 64

static void *set[SET];

/* The pairs: what the count covers. */
__attribute__((noinline)) static void run_pairs(size_t size)
{
	unsigned seed = 12345;
	for (long i = 0; i < PAIRS; i++) {
		seed = seed * 1103515245u + 12345u;
		unsigned k = (seed >> 16) % SET;
		free(set[k]);
		set[k] = malloc(size);
		*(volatile char *)set[k] = (char)i;
	}
}

int main(void)
{
	static const size_t sizes[] = { 16, 64, 256 };
	for (unsigned s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
		run_pairs(sizes[s]);
		for (int k = 0; k < SET; k++) {
			free(set[k]);
			set[k] = NULL;
		}
	}
	return 0;
}
