/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Per-thread state held by a pthread key, as memcached keeps its loggers:
 * each worker allocates its tally at start and finds it again through
 * pthread_getspecific() only (no other pointer to it).  The new version's
 * startup allocates fresh tallies in its own workers; after an update the
 * workers must find the old version's tallies behind the key, with their
 * counts.  On SIGUSR1 (or when the file named by argv[1] exists) the
 * program writes "W0 W1" to argv[2], the counts the workers last saw.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <stf.h>

#define NWORKERS 2

struct tally {
	long id;
	long rounds;
};

static pthread_key_t tally_key;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long worker_ids[NWORKERS];
static long rounds_seen[NWORKERS];

static void *worker(void *arg)
{
	struct tally *t = malloc(sizeof(*t));

	if (!t)
		abort();
	t->id = *(long *)arg;
	/* the first start counts from 1000000 (2000000); a new version's startup
	 * from 0, which an update must replace with the old counts */
	t->rounds = stf_is_updating() ? 0 : 1000000 * (t->id + 1);
	pthread_setspecific(tally_key, t);
	t = NULL;
	for (;;) {
		stf_update_point();
		struct tally *mine = pthread_getspecific(tally_key);
		pthread_mutex_lock(&lock);
		rounds_seen[mine->id] = ++mine->rounds;
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
	pthread_key_create(&tally_key, NULL);
	for (long i = 0; i < NWORKERS; i++) {
		worker_ids[i] = i;
		pthread_create(&threads[i], NULL, worker, &worker_ids[i]);
	}
	for (;;) {
		stf_update_point();
		if (access(argv[1], F_OK) == 0) {
			FILE *out = fopen(argv[2], "w");
			pthread_mutex_lock(&lock);
			if (out)
				fprintf(out, "%ld %ld\n", rounds_seen[0], rounds_seen[1]);
			pthread_mutex_unlock(&lock);
			if (out)
				fclose(out);
			unlink(argv[1]);
		}
		usleep(2000);
	}
}
