/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * parallel.c - the engine's loops over objects cut across the machine's
 * cores (see remote.h).
 *
 * A loop over n objects is cut into contiguous parts, one per thread; the
 * calling thread runs the first part.  Each part keeps what it finds
 * (differences, problems) to itself and the caller merges the parts in
 * their order, so the result is the one of a single thread, whatever the
 * number of parts.  The threads are libstf's own (stf__own_thread): not
 * program threads, never paired or parked.
 */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "remote.h"
#include "respawn.h"

#define PARTS_MAX 64

unsigned stf__parallel_parts(size_t n, size_t min_per_part)
{
	static unsigned threads;
	if (!threads) {
		/* STF_XFER_THREADS: tests compare one thread with several */
		const char *e = getenv("STF_XFER_THREADS");
		long t = e && *e ? strtol(e, NULL, 10) : sysconf(_SC_NPROCESSORS_ONLN);
		threads = t < 1 ? 1 : t > PARTS_MAX ? PARTS_MAX : (unsigned)t;
	}
	size_t parts = min_per_part ? n / min_per_part : n;
	if (parts > threads)
		parts = threads;
	return parts ? (unsigned)parts : 1;
}

struct part_run {
	stf_part_fn *fn;
	void *ctx;
	unsigned part;
	size_t lo, hi;
};

static void *run_part(void *arg)
{
	struct part_run *r = arg;
	r->fn(r->ctx, r->part, r->lo, r->hi);
	return NULL;
}

void stf__parallel(size_t n, unsigned parts, stf_part_fn *fn, void *ctx)
{
	struct part_run run[PARTS_MAX];
	pthread_t th[PARTS_MAX];
	int started[PARTS_MAX] = { 0 };

	if (parts < 1)
		parts = 1;
	if (parts > PARTS_MAX)
		parts = PARTS_MAX;
	for (unsigned k = 0; k < parts; k++) {
		run[k].fn = fn;
		run[k].ctx = ctx;
		run[k].part = k;
		run[k].lo = n / parts * k + (k < n % parts ? k : n % parts);
		run[k].hi = run[k].lo + n / parts + (k < n % parts);
	}
	for (unsigned k = 1; k < parts; k++)
		started[k] = stf__own_thread(&th[k], run_part, &run[k]) == 0;
	run_part(&run[0]);
	/* a part whose thread could not start runs here: same result */
	for (unsigned k = 1; k < parts; k++)
		if (started[k])
			pthread_join(th[k], NULL);
		else
			run_part(&run[k]);
}
