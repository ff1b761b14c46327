/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * parallel.c - the engine's loops over objects cut across the machine's
 * cores (see remote.h).
 *
 * A loop over n objects is cut into contiguous parts, run by up to one
 * thread per core; the calling thread runs the first part.  Each part
 * keeps what it finds (differences, problems) to itself and the caller
 * merges the parts in their order, so the result is the one of a single
 * thread, whatever the number of parts and whichever thread ran each.
 * A loop whose objects cost unevenly (a heap's dictionary entries, whose
 * unions are classified, next to strings that are copied) is cut into
 * several parts per thread (stf__parallel_pieces), each thread taking the
 * next part not yet taken when it is done with one: cut into one part per
 * thread, the thread given the costly half worked alone while the other
 * waited (Redis's shape: 5 ms of 390 on the second core).  The threads
 * are libstf's own (stf__own_thread): not program threads, never paired
 * or parked.
 */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "remote.h"
#include "respawn.h"

#define PIECES_PER_THREAD 8
#define BYTES_PER_OBJECT 128 /* an object's own cost, in bytes of its words */

/* The threads the loops use: one per online core (STF_XFER_THREADS in
 * the environment: tests compare one thread with several). */
static unsigned threads_online(void)
{
	static unsigned threads;
	if (!threads) {
		const char *e = getenv("STF_XFER_THREADS");
		long t = e && *e ? strtol(e, NULL, 10) : sysconf(_SC_NPROCESSORS_ONLN);
		threads = t < 1 ? 1 : t > PARTS_MAX ? PARTS_MAX : (unsigned)t;
	}
	return threads;
}

/* n / min_per_part parts, at least 1, at most `most` */
static unsigned parts_of(uint64_t n, size_t min_per_part, size_t most)
{
	uint64_t parts = min_per_part ? n / min_per_part : n;
	if (parts > most)
		parts = most;
	return parts ? (unsigned)parts : 1;
}

unsigned stf__parallel_parts(size_t n, size_t min_per_part)
{
	return parts_of(n, min_per_part, threads_online());
}

/* What an object costs a loop, in objects: its words count too (a 1 MiB
 * slab page is classified or compared word by word) */
static uint64_t cost(const struct stf_obj *o)
{
	return 1 + o->size / BYTES_PER_OBJECT;
}

unsigned stf__parallel_pieces(const struct stf_obj *objs, size_t n, size_t min_cost,
			      size_t bounds[static PARTS_MAX + 1])
{
	unsigned threads = threads_online();
	size_t most = threads < 2 ? 1 : (size_t)threads * PIECES_PER_THREAD;
	uint64_t total = 0;
	for (size_t i = 0; threads > 1 && i < n; i++)
		total += cost(&objs[i]);
	if (most > PARTS_MAX)
		most = PARTS_MAX;
	if (most > n)
		most = n;
	unsigned parts = parts_of(total, min_cost, most);
	/* part k ends where the cost so far reaches k + 1 parts' share */
	bounds[0] = 0;
	uint64_t sum = 0;
	size_t i = 0;
	for (unsigned k = 1; k < parts; k++) {
		uint64_t share = total / parts * k;
		while (i < n && sum < share)
			sum += cost(&objs[i++]);
		bounds[k] = i;
	}
	bounds[parts] = n;
	return parts;
}

struct part_run {
	stf_part_fn *fn;
	void *ctx;
	const size_t *bounds;
	unsigned parts;
	unsigned next; /* the next part not taken yet */
};

static void run_part(struct part_run *r, unsigned k)
{
	r->fn(r->ctx, k, r->bounds[k], r->bounds[k + 1]);
}

/* a thread's loop: the next part not taken, until none is left */
static void *take_parts(void *arg)
{
	struct part_run *r = arg;
	for (unsigned k; (k = __atomic_fetch_add(&r->next, 1, __ATOMIC_RELAXED)) < r->parts;)
		run_part(r, k);
	return NULL;
}

void stf__parallel_cut(const size_t *bounds, unsigned parts, stf_part_fn *fn, void *ctx)
{
	pthread_t th[PARTS_MAX];
	int started[PARTS_MAX] = { 0 };
	struct part_run r = { fn, ctx, bounds, parts, 1 };
	unsigned threads = threads_online() < parts ? threads_online() : parts;
	for (unsigned k = 1; k < threads; k++)
		started[k] = stf__own_thread(&th[k], take_parts, &r) == 0;
	/* part 0 here first, as the callers expect; then what is left (all
	 * of it if no thread could start: same result) */
	run_part(&r, 0);
	take_parts(&r);
	for (unsigned k = 1; k < threads; k++)
		if (started[k])
			pthread_join(th[k], NULL);
}

void stf__parallel(size_t n, unsigned parts, stf_part_fn *fn, void *ctx)
{
	size_t bounds[PARTS_MAX + 1];
	if (parts < 1)
		parts = 1;
	if (parts > PARTS_MAX)
		parts = PARTS_MAX;
	for (unsigned k = 0; k <= parts; k++)
		bounds[k] = n / parts * k + (k < n % parts ? k : n % parts);
	stf__parallel_cut(bounds, parts, fn, ctx);
}
