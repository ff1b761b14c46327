/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pthread_t values kept in state (tinyproxy's `child->thread`, joined once
 * the child says it is done): a heap table of joinable workers parked at
 * their update points, a static holding a thread that ended but was not
 * joined yet, and a detached worker.  Version 2 (this file with V2
 * defined) joins and signals them by those values after the commit: they
 * must name its own threads, the ended one returning what the old one
 * returned.  Before, they named the old process's threads and version 2
 * crashed in pthread_join.  It then starts them all again, for the
 * chained update. */
#include <pthread.h>
#include <signal.h>
#include "xt.h"

#define NWORK 3

struct worker {
	pthread_t th;
	long id;
};

static struct worker *workers;
static pthread_t finished;     /* ended, not joined */
static pthread_t loner;        /* detached */
static volatile int quick_done, stop_all;

static void *work(void *arg)
{
	struct worker *w = arg;

	while (!stop_all) {
		stf_update_point();
		usleep(1000);
	}
	return (void *)(100 + w->id);
}

static void *quick(void *arg)
{
	(void)arg;
	quick_done = 1;
	return (void *)7;
}

static void *lone(void *arg)
{
	(void)arg;
	for (;;) {
		stf_update_point();
		usleep(1000);
	}
	return NULL;
}

static __attribute__((noinline)) void init(void)
{
	pthread_attr_t attr;

	stop_all = 0;
	quick_done = 0;
	workers = calloc(NWORK, sizeof(*workers));
	for (long i = 0; i < NWORK; i++) {
		workers[i].id = i;
		if (pthread_create(&workers[i].th, NULL, work, &workers[i]))
			abort();
	}
	if (pthread_create(&finished, NULL, quick, NULL))
		abort();
	while (!quick_done)
		usleep(1000);
	usleep(50000);  /* it has returned */
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&loner, &attr, lone, NULL))
		abort();
	pthread_attr_destroy(&attr);
}

#ifdef V2
/* by the renamed values: the threads are version 2's */
static void check(void)
{
	void *r;

	CHECK(pthread_kill(loner, 0) == 0);
	CHECK(pthread_join(finished, &r) == 0 && r == (void *)7);
	stop_all = 1;
	for (long i = 0; i < NWORK; i++)
		CHECK(pthread_join(workers[i].th, &r) == 0 && r == (void *)(100 + i));
	init();
}
#else
static volatile long sink;

static void check(void)
{
	sink ^= (long)finished ^ (long)loner ^ (long)workers[NWORK - 1].th;
}
#endif

XT_MAIN_CHECKED(init, check)
