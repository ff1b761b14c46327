/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Condition-variable waits, which the plugin turns into wait points.  The
 * program does not use libstf and is linked without it: the rewritten
 * waits must fall back to the plain calls. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ready = PTHREAD_COND_INITIALIZER;
static int jobs;

static void *producer(void *arg)
{
	pthread_mutex_lock(&lock);
	jobs = 3;
	pthread_cond_broadcast(&ready);
	pthread_mutex_unlock(&lock);
	return arg;
}

static int consume(int want)
{
	int taken;
	struct timespec until;

	pthread_mutex_lock(&lock);
	while (jobs == 0)
		pthread_cond_wait(&ready, &lock);
	taken = jobs;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += 1000000;
	if (until.tv_nsec >= 1000000000) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000;
	}
	int rc = pthread_cond_timedwait(&ready, &lock, &until);
	pthread_mutex_unlock(&lock);
	printf("taken %d, timed wait %s\n", taken, rc == ETIMEDOUT ? "timed out" : "woken");
	return taken == want && rc == ETIMEDOUT ? 0 : 1;
}

int main(void)
{
	pthread_t t;

	if (pthread_create(&t, NULL, producer, NULL) != 0)
		return 2;
	int rc = consume(3);
	pthread_join(t, NULL);
	return rc;
}
