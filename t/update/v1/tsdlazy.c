/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A pthread key created lazily, after the startup, as GLib's GPrivate
 * does: the key's number is kept in a block only this program's first
 * request allocates, so the new version's startup never creates it.  Each
 * worker keeps its tally behind the key from the first request on; each
 * request also runs a short thread that sets a value for the key and
 * exits, so the key's destructor (a function of this program) runs.  On
 * SIGUSR1 (or when the file named by argv[1] exists) the program writes
 * "W0 W1 DESTRUCTED ERRORS" to argv[2]: the workers' counts, the values
 * the destructor saw, and the pthread_setspecific calls that failed.
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

static pthread_key_t *lazy_key; /* made by the first request */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long worker_ids[NWORKERS];
static long rounds_seen[NWORKERS];
static long destructed, errors;

static void tally_gone(void *value)
{
	pthread_mutex_lock(&lock);
	destructed++;
	pthread_mutex_unlock(&lock);
	free(value);
}

static pthread_key_t *key(void)
{
	pthread_mutex_lock(&lock);
	if (!lazy_key) {
		pthread_key_t *k = malloc(sizeof(*k));
		if (!k || pthread_key_create(k, tally_gone) != 0)
			abort();
		lazy_key = k;
	}
	pthread_mutex_unlock(&lock);
	return lazy_key;
}

static void *worker(void *arg)
{
	long id = *(long *)arg;

	for (;;) {
		stf_update_point();
		if (lazy_key) {
			struct tally *mine = pthread_getspecific(*lazy_key);
			if (!mine) {
				mine = calloc(1, sizeof(*mine));
				mine->id = id;
				if (pthread_setspecific(*lazy_key, mine) != 0) {
					pthread_mutex_lock(&lock);
					errors++;
					pthread_mutex_unlock(&lock);
				}
			}
			pthread_mutex_lock(&lock);
			rounds_seen[id] = ++mine->rounds;
			pthread_mutex_unlock(&lock);
		}
		usleep(1000);
	}
	return NULL;
}

/* A thread that leaves a value behind the key: the destructor frees it. */
static void *passing(void *arg)
{
	(void)arg;
	long *v = malloc(sizeof(*v));
	if (pthread_setspecific(*key(), v) != 0) {
		free(v);
		pthread_mutex_lock(&lock);
		errors++;
		pthread_mutex_unlock(&lock);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t threads[NWORKERS], t;

	if (argc != 3)
		return 2;
	for (long i = 0; i < NWORKERS; i++) {
		worker_ids[i] = i;
		pthread_create(&threads[i], NULL, worker, &worker_ids[i]);
	}
	for (;;) {
		stf_update_point();
		if (access(argv[1], F_OK) == 0) {
			if (pthread_create(&t, NULL, passing, NULL) == 0)
				pthread_join(t, NULL);
			FILE *out = fopen(argv[2], "w");
			pthread_mutex_lock(&lock);
			if (out)
				fprintf(out, "%ld %ld %ld %ld\n", rounds_seen[0], rounds_seen[1],
					destructed, errors);
			pthread_mutex_unlock(&lock);
			if (out)
				fclose(out);
			unlink(argv[1]);
		}
		usleep(2000);
	}
}
