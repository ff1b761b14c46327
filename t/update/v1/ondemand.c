/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A thread started on demand, like a server's thread per connection: main
 * starts a worker when the file argv[1] appears (and removes it).  The
 * worker counts its rounds in a local at its own update point and
 * publishes them in argv[2] ("workers rounds").  A new or reversed version
 * starts no worker at startup: libstf starts it again from its start
 * routine, which version 2 (-DVERSION=2) no longer has.
 */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>
#include <stf.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static const char *state_path;
static int workers;

#if VERSION == 2
#define worker count_rounds  /* the start routine under another name */
#endif

static void *worker(void *arg)
{
	long rounds = 0;
	(void)arg;
	for (;;) {
		stf_update_point();
		pthread_mutex_lock(&lock);
		rounds++;
		char tmp[4096];
		snprintf(tmp, sizeof tmp, "%s.tmp", state_path);
		FILE *f = fopen(tmp, "w");
		if (f) {  /* replaced whole: never read half-written */
			fprintf(f, "%d %ld\n", workers, rounds);
			if (fclose(f) == 0)
				rename(tmp, state_path);
		}
		pthread_mutex_unlock(&lock);
		usleep(2000);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t th;

	if (argc != 3)
		return 2;
	state_path = argv[2];
	for (;;) {
		stf_update_point();
		if (access(argv[1], F_OK) == 0) {
			unlink(argv[1]);
			pthread_mutex_lock(&lock);
			workers++;
			pthread_mutex_unlock(&lock);
			pthread_create(&th, NULL, worker, NULL);
		}
		usleep(2000);
	}
}
