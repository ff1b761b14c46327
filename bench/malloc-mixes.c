/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * malloc-mixes.c - the timed patterns of malloc-bench (malloc-bench.c)
 * whose blocks come in the mixes a server's allocation histogram shows:
 * mostly small objects with some buffers and a rare very large one, and
 * cache-line aligned records beside page-aligned I/O buffers.  Each
 * returns the CPU seconds of one operation.
 */
#include <stdint.h>
#include <stdlib.h>

#include "malloc-bench.h"

/* hist: a server's allocation histogram: 88% 16-64 bytes, 8% 64 B-1 KiB,
 * 3.9% 4-64 KiB (buffers), 0.1% 768 KiB-1.25 MiB (a large reply, a
 * table resized); a window of 4,096. */
#define HIST_WINDOW 4096
#define HIST_OPS 1000000L

static size_t histogram_size(unsigned *seed)
{
	unsigned r = next_rand(seed) % 1000;
	return r < 880 ? 16 + next_rand(seed) % 49 :
	       r < 960 ? 64 + next_rand(seed) % 961 :
	       r < 999 ? 4096 + next_rand(seed) % 61441 :
	       (768u << 10) + next_rand(seed) % (512u << 10);
}

double hist(unsigned id)
{
	return replace_window(id * 2654435761u + 83, histogram_size, HIST_WINDOW, HIST_OPS);
}

/* cacheline: records aligned to a cache line (aligned_alloc(64, 64 B-1
 * KiB): per-connection counters, lock-free queue nodes) and, one time in
 * ten, page-aligned I/O buffers (posix_memalign(4096, 4-64 KiB): O_DIRECT,
 * io_uring); a window of 4,096. */
#define CACHELINE_WINDOW 4096
#define CACHELINE_OPS 1000000L

double cacheline(unsigned id)
{
	unsigned seed = id * 2654435761u + 97;
	void **set = calloc(CACHELINE_WINDOW, sizeof *set);
	double t0 = cpu_s();
	for (long i = 0; i < CACHELINE_OPS; i++) {
		unsigned k = next_rand(&seed) % CACHELINE_WINDOW;
		free(set[k]);
		if (next_rand(&seed) % 10) {
			set[k] = aligned_alloc(64, 64 * (1 + next_rand(&seed) % 16));
			if (!set[k] || (uintptr_t)set[k] % 64)
				abort();
		} else if (posix_memalign(&set[k], 4096, 4096 * (1 + next_rand(&seed) % 16)) ||
			   (uintptr_t)set[k] % 4096) {
			abort();
		}
		*(volatile char *)set[k] = (char)i;
	}
	double t = cpu_s() - t0;
	for (int k = 0; k < CACHELINE_WINDOW; k++)
		free(set[k]);
	free(set);
	return t / CACHELINE_OPS;
}
