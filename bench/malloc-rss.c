/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * malloc-rss.c - the peak RSS shapes of malloc-bench (malloc-bench.h):
 * heaps built, partly freed and rebuilt as programs do, the process's
 * peak RSS printed at their fullest.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "malloc-bench.h"

void print_peak_rss(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	printf("%ld\n", ru.ru_maxrss);
}

static void *filled(size_t n)
{
	void *p = malloc(n);
	memset(p, 1, n);
	return p;
}

/* count blocks of lo to lo + spread - 1 bytes (spread 0: lo), each
 * written. */
static void **blocks_of(long count, size_t lo, unsigned spread, unsigned *seed)
{
	void **b = malloc((size_t)count * sizeof *b);
	for (long i = 0; i < count; i++)
		b[i] = filled(lo + (spread ? next_rand(seed) % spread : 0));
	return b;
}

static void free_blocks(void **b, long count)
{
	for (long i = 0; i < count; i++)
		free(b[i]);
	free(b);
}

/* count blocks of lo to lo + spread - 1 bytes, kept live. */
static int live_blocks(long count, size_t lo, unsigned spread, unsigned seed)
{
	void **keep = blocks_of(count, lo, spread, &seed);
	print_peak_rss();
	free_blocks(keep, count);
	return 0;
}

/* COUNT blocks of SIZE bytes. */
int run_rss(long count, size_t size)
{
	return live_blocks(count, size, 0, 0);
}

/* COUNT blocks of 8-256 bytes. */
int run_mixrss(long count)
{
	return live_blocks(count, 8, 249, 17);
}

/* COUNT blocks of 8-256 bytes, 3 of 4 freed at random, then COUNT / 2
 * blocks of 16-1,024 bytes. */
int run_fragrss(long count)
{
	unsigned seed = 43;
	void **keep = blocks_of(count, 8, 249, &seed);
	for (long i = 0; i < count; i++)
		if (next_rand(&seed) % 4) {
			free(keep[i]);
			keep[i] = NULL;
		}
	void **more = blocks_of(count / 2, 16, 1009, &seed);
	print_peak_rss();
	free_blocks(keep, count);
	free_blocks(more, count / 2);
	return 0;
}

/* COUNT blocks of a server's sizes (skewed_size) kept live, then 4 x
 * COUNT times one of them freed at random and one of another random
 * size allocated in its place: a churned live window of mixed sizes. */
int run_winrss(long count)
{
	unsigned seed = 71;
	void **live = malloc((size_t)count * sizeof *live);
	for (long i = 0; i < count; i++)
		live[i] = filled(skewed_size(&seed));
	for (long i = 0; i < 4 * count; i++) {
		long k = (long)(next_rand(&seed) % (unsigned)count);
		free(live[k]);
		live[k] = filled(skewed_size(&seed));
	}
	print_peak_rss();
	for (long i = 0; i < count; i++)
		free(live[i]);
	free(live);
	return 0;
}

/* A server's sessions: each a struct, an input buffer and two strings,
 * allocated together. */
struct session { void *state, *buffer, *name, *peer; };

static void session_new(struct session *s, unsigned *seed, size_t state, size_t buffer,
			size_t str)
{
	s->state = filled(state + next_rand(seed) % 65);
	s->buffer = filled(buffer + next_rand(seed) % (2 * buffer + 1));
	s->name = filled(str + next_rand(seed) % (str + 1));
	s->peer = filled(str + next_rand(seed) % (str + 1));
}

static void session_free(struct session *s)
{
	free(s->state);
	free(s->buffer);
	free(s->name);
	free(s->peer);
}

/* SESSIONS sessions (state of 192-256 B, a buffer of 1-3 KiB, strings
 * of 16-32 B), half of them (at random) closed, then as many again of a
 * new version's sizes (state of 320-384 B, a buffer of 2-6 KiB, strings
 * of 48-96 B): a heap built, half freed and rebuilt with other sizes. */
int run_rebuildrss(long sessions)
{
	unsigned seed = 29;
	struct session *old = malloc((size_t)sessions * sizeof *old);
	for (long i = 0; i < sessions; i++)
		session_new(&old[i], &seed, 192, 1024, 16);
	for (long i = 0; i < sessions; i++)
		if (next_rand(&seed) % 2) {
			session_free(&old[i]);
			old[i].state = NULL;
		}
	struct session *more = malloc((size_t)(sessions / 2) * sizeof *more);
	for (long i = 0; i < sessions / 2; i++)
		session_new(&more[i], &seed, 320, 2048, 48);
	print_peak_rss();
	for (long i = 0; i < sessions; i++)
		if (old[i].state)
			session_free(&old[i]);
	for (long i = 0; i < sessions / 2; i++)
		session_free(&more[i]);
	free(old);
	free(more);
	return 0;
}
