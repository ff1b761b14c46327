/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Worker threads started on an array of per-worker records that the
 * startup allocates, as memcached's `threads`: each worker gets the
 * address of its record as its start argument and keeps it in a local.
 * After an update the records are the old version's (the static `workers`
 * and each worker's locals point to them); the new startup's array is
 * unreachable and freed by the startup sweep - unless a dead copy of a
 * start argument lingers on a worker's stack.  On request (argv[1]
 * exists) the program writes the workers' counts to argv[2].
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
	char scratch[4000];
};

static struct worker *workers;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static void *work(void *arg)
{
	struct worker *me = arg;

	while (me->id >= 0) {
		stf_update_point();
		pthread_mutex_lock(&lock);
		me->rounds++;
		pthread_mutex_unlock(&lock);
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
			pthread_mutex_lock(&lock);
			for (int i = 0; out && i < NWORKERS; i++)
				fprintf(out, "%ld ", workers[i].rounds);
			pthread_mutex_unlock(&lock);
			if (out)
				fclose(out);
			unlink(argv[1]);
		}
		usleep(2000);
	}
}
