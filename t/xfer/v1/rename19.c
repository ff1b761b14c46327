/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Thread-local variables in two threads: a __thread counter, a __thread
 * pointer to heap state of the thread's own, and a static pointer to the
 * worker's copy of the counter.  Each thread's copies must reach the
 * paired thread of the new version.
 */
#include <pthread.h>
#include "xt.h"

struct state {
	int n;
	char name[12];
	struct state *self;
};

static __thread int count;
static __thread struct state *mine;
static _Thread_local long seen = -1;
static int *worker_count;

static __attribute__((noinline)) void init_thread(int n, const char *name)
{
	mine = malloc(sizeof(*mine));
	mine->n = n;
	snprintf(mine->name, sizeof(mine->name), "%s", name);
	mine->self = mine;
	count = n * 10;
	seen = n;
}

static void *worker(void *arg)
{
	(void)arg;
	init_thread(2, "worker");
	worker_count = &count;
	XT_V1_LOOP();
}

static __attribute__((noinline)) void init(void)
{
	pthread_t th;
	init_thread(1, "main");
	pthread_create(&th, NULL, worker, NULL);
	while (!worker_count)
		usleep(1000);
}

int main(void)
{
	init();
	XT_V1_LOOP();
}
