/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of idlemain.c: the main thread, back from its wait after the
 * commit, checks the worker's counter it received and that it grows. */
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
	/* started by the update: it arrives in this wait (a wait may return
	 * spuriously, so it is in a loop, as version 1's) */
	while (stf_is_updating())
		pthread_cond_wait(&work, &lock);
	pthread_mutex_unlock(&lock);
	CHECK(served != NULL);
	long before = served ? *served : 0;
	usleep(100000);
	CHECK(served && *served > before);
	XT_V2_RESULT();
}
