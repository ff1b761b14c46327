/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A main thread that waits at startup for its workers to register (a
 * condition variable, as memcached's memcached_thread_init does), then
 * loops at its update point; each worker loops at its own with a pointer
 * to its record.  Started by an update, the workers reach their update
 * points while the main thread still waits for them. */
#include <pthread.h>
#include "xt.h"

#define NWORKERS 2

struct worker {
	int id;
	long served;
	char *name;
};

static struct worker *workers;
static pthread_mutex_t init_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t init_cond = PTHREAD_COND_INITIALIZER;
static int registered;

static void *worker(void *arg)
{
	struct worker *me = arg;
	/* per-thread setup before registering, long in the versions an
	 * update starts (in the running one, short: its startup must be
	 * over when the test asks for the update) */
	if (stf_is_updating())
		usleep(50000);
	pthread_mutex_lock(&init_lock);
	registered++;
	pthread_cond_signal(&init_cond);
	pthread_mutex_unlock(&init_lock);
	for (;;) {
		stf_update_point();
		me->served++;
		usleep(1000);
	}
	return NULL;
}

static __attribute__((noinline)) void start_workers(void)
{
	for (int i = 0; i < NWORKERS; i++) {
		pthread_t th;
		pthread_create(&th, NULL, worker, &workers[i]);
	}
	pthread_mutex_lock(&init_lock);
	while (registered < NWORKERS)
		pthread_cond_wait(&init_cond, &init_lock);
	pthread_mutex_unlock(&init_lock);
}

static __attribute__((noinline)) void init(void)
{
	workers = calloc(NWORKERS, sizeof(*workers));
	for (int i = 0; i < NWORKERS; i++) {
		workers[i].id = i;
		workers[i].name = strdup(i ? "worker one" : "worker zero");
	}
}

int main(void)
{
	if (!stf_is_updating())
		init();
	start_workers();
	XT_V1_LOOP();
}
