/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A multi-threaded program whose state lives in the locals of its
 * threads: main holds a token set once at start, each worker counts its
 * rounds in a local.  Every thread has its own update point, so an update
 * must carry every thread's frame, each to the thread of the same function
 * and creation order.  On SIGUSR1 (or when the file named by argv[1]
 * exists) the program writes "token W0 W1" to argv[2] - a consistent
 * snapshot taken under the lock.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <stf.h>

#define NWORKERS 2

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long worker_ids[NWORKERS];
static long rounds_seen[NWORKERS];  /* copies of the workers' locals */

static void *worker(void *arg)
{
	long id = *(long *)arg;
	long rounds = 0;

	if (!stf_is_updating())
		rounds = 1000000 * (id + 1);  /* far apart: a swap shows whatever the load */
	for (;;) {
		stf_update_point();
		pthread_mutex_lock(&lock);
		rounds_seen[id] = ++rounds;
		pthread_mutex_unlock(&lock);
		usleep(1000);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t threads[NWORKERS];
	int token = -1;

	if (argc != 3)
		return 2;
	if (!stf_is_updating())
		token = 4242;
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
				fprintf(out, "%d %ld %ld\n", token, rounds_seen[0], rounds_seen[1]);
			pthread_mutex_unlock(&lock);
			if (out)
				fclose(out);
			unlink(argv[1]);
		}
		usleep(2000);
	}
}
