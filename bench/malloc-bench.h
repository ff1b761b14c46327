/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * malloc-bench.h - what the timed patterns (malloc-bench.c) and the peak
 * RSS shapes (malloc-rss.c) of malloc-bench share.
 */
#ifndef MALLOC_BENCH_H
#define MALLOC_BENCH_H

#include <stddef.h>
#include <time.h>

static inline unsigned next_rand(unsigned *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return *seed >> 8;
}

/* Sizes skewed as a server's objects are: 70% of 16-64 bytes (list and
 * tree nodes, short strings), 25% of 64-512, 5% of 512 B-4 KiB. */
static inline size_t skewed_size(unsigned *seed)
{
	unsigned r = next_rand(seed) % 100;
	if (r < 70)
		return 16 + next_rand(seed) % 49;
	if (r < 95)
		return 64 + next_rand(seed) % 449;
	return 512 + next_rand(seed) % 3585;
}

/* The calling thread's CPU time in seconds (the machine may be shared:
 * wall time would measure that). */
static inline double cpu_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* malloc-bench.c: PATTERN THREADS SIZE: the size of the blocks a
 * pattern that takes one allocates, 0: its own mix; THREADS. */
extern size_t pattern_size;
extern int pattern_threads;

/* A live window of n blocks of sizes from `size`, filled first, then a
 * random one freed and a new one allocated `ops` times: CPU s per pair. */
double replace_window(unsigned seed, size_t (*size)(unsigned *), int n, long ops);

/* malloc-buffers.c: timed patterns of buffers and tables; each returns
 * the CPU seconds of one operation. */
double bufgrow(unsigned id);
double sdsgrow(unsigned id);
double tables(unsigned id);
double shrink(unsigned id);
double zerotmp(unsigned id);
double usable(unsigned id);

/* malloc-lifecycle.c: blocks across threads and processes. */
double short_threads(unsigned id);
double forkchild(unsigned id);
double ring(unsigned id);

/* malloc-mixes.c: a server's mixes of sizes and alignments. */
double hist(unsigned id);
double cacheline(unsigned id);

/* malloc-servers.c: more of what servers do. */
double strdup_storm(unsigned id);
double midcalloc(unsigned id);
double bigburst(unsigned id);
double alignmix(unsigned id);
double vecshrink(unsigned id);

/* Print the process's peak RSS in KiB. */
void print_peak_rss(void);

/* malloc-rss.c: the peak RSS shapes; each prints it (KiB) and returns
 * main's status. */
int run_rss(long count, size_t size);
int run_mixrss(long count);
int run_fragrss(long count);
int run_winrss(long count);
int run_rebuildrss(long sessions);
int run_driftrss(long count);
int run_kvbigrss(long keys);

#endif /* MALLOC_BENCH_H */
