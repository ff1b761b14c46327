/* SPDX-License-Identifier: GPL-3.0-or-later */
/* pthread_t values kept in unions, as a server keeps a thread's handle
 * next to another view of it: a worker's context behind a `void *`
 * holding `union { pthread_t tid; unsigned long word; }`, and a static
 * union of a handle and a pointer.  Version 2 (this file with V2
 * defined) signals and joins them by those values after the commit: they
 * must name its own threads.  Before, the walk renaming pthread_t values
 * skipped unions (which member is live is not known): the values named
 * the old process's threads, the update committed and version 2 crashed
 * in pthread_kill.  A union member is renamed only when its value is
 * exactly a running thread's handle.  It then starts the threads again,
 * for the chained update. */
#include <pthread.h>
#include <signal.h>
#include "xt.h"

struct context {
	union {
		pthread_t tid;
		unsigned long word;
	} th;
	long id;
};

static void *ctx;              /* a struct context */
static union {
	pthread_t tid;
	void *any;
} other;
static volatile int stop_all;

static void *work(void *arg)
{
	while (!stop_all) {
		stf_update_point();
		usleep(1000);
	}
	return arg;
}

static __attribute__((noinline)) void init(void)
{
	struct context *c = calloc(1, sizeof(*c));

	stop_all = 0;
	c->id = 42;
	if (pthread_create(&c->th.tid, NULL, work, (void *)c->id) ||
	    pthread_create(&other.tid, NULL, work, (void *)7))
		abort();
	ctx = c;
}

#ifdef V2
/* by the renamed values: the threads are version 2's */
static void check(void)
{
	struct context *c = ctx;
	void *r;

	CHECK(pthread_kill(c->th.tid, 0) == 0 && pthread_kill(other.tid, 0) == 0);
	stop_all = 1;
	CHECK(pthread_join(c->th.tid, &r) == 0 && r == (void *)42);
	CHECK(pthread_join(other.tid, &r) == 0 && r == (void *)7);
	free(c);
	init();
}
#else
static volatile unsigned long sink;

static void check(void)
{
	sink ^= ((struct context *)ctx)->th.word ^ (unsigned long)other.any;
}
#endif

XT_MAIN_CHECKED(init, check)
