/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A main thread whose loop is a condition-variable wait (a wait point)
 * while a worker loops at its update point: in the new version the main
 * thread parks in that wait once nothing else could wake it. */
#include <pthread.h>
#include "xt.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t work = PTHREAD_COND_INITIALIZER;
static long *served;

static void *worker(void *arg)
{
	(void)arg;
	for (;;) {
		stf_update_point();
		if (served)
			(*served)++;
		usleep(1000);
	}
	return NULL;
}

int main(void)
{
	pthread_t th;
	if (!stf_is_updating())
		served = calloc(1, sizeof(*served));
	pthread_create(&th, NULL, worker, NULL);
	pthread_mutex_lock(&lock);
	for (;;)
		pthread_cond_wait(&work, &lock);
}
