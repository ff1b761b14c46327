/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Worker threads started on an array of per-worker records that the
 * startup allocates, as memcached's `threads`: each worker gets the
 * address of its record as its start argument and keeps it in a local.
 * After an update the records are the old version's (the static `workers`
 * and each worker's locals point to them); the new startup's array is
 * unreachable and freed by the startup sweep - unless a dead copy of a
 * start argument lingers on a worker's stack or in its registers.  On
 * request (argv[1] exists) the program writes the workers' counts to
 * argv[2].
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <stf.h>

#define NWORKERS 4

struct worker {
	long id;
	long rounds;
	char *note;
	char scratch[4000];
};

static struct worker *workers;

static void *work(void *arg)
{
	struct worker *me = arg;

	/* built with -O2: the start argument stays in a callee-saved
	 * register, dead once `me` is in memory, as in memcached's slab
	 * rebalancer */
	me->note = malloc(32);
	if (!me->note)
		abort();
	snprintf(me->note, 32, "worker %ld", me->id);
	while (me->id >= 0) {
		stf_update_point();
		__atomic_add_fetch(&me->rounds, 1, __ATOMIC_RELAXED);
		usleep(1000);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t threads[NWORKERS];

	if (argc != 3)
		return 2;
	workers = calloc(NWORKERS, sizeof(*workers));
	if (!workers)
		return 1;
	for (long i = 0; i < NWORKERS; i++) {
		workers[i].id = i;
		workers[i].rounds = stf_is_updating() ? 0 : 1000000 * (i + 1);
		pthread_create(&threads[i], NULL, work, &workers[i]);
	}
	for (;;) {
		stf_update_point();
		if (access(argv[1], F_OK) == 0) {
			FILE *out = fopen(argv[2], "w");
			for (int i = 0; out && i < NWORKERS; i++)
				fprintf(out, "%ld ", __atomic_load_n(&workers[i].rounds, __ATOMIC_RELAXED));
			if (out)
				fclose(out);
			unlink(argv[1]);
		}
		usleep(2000);
	}
}
