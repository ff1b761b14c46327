/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A thread that ended returning an address (a result block) and was not
 * joined yet at the update, its pthread_t in a static: the new version's
 * join could not return the old process's block, so the update must roll
 * back naming the variable (before: the new version joined the old
 * process's handle and crashed during the commit). */
#include <pthread.h>
#include "xt.h"

struct result {
	long sum;
};

static pthread_t summer;
static volatile int summed;

static void *sum(void *arg)
{
	struct result *r = malloc(sizeof(*r));
	(void)arg;
	r->sum = 42;
	summed = 1;
	return r;
}

static __attribute__((noinline)) void init(void)
{
	if (pthread_create(&summer, NULL, sum, NULL))
		abort();
	while (!summed)
		usleep(1000);
	usleep(50000);  /* it has returned */
}

#ifdef V2
static void check(void)
{
	void *r;

	CHECK(pthread_join(summer, &r) == 0 && ((struct result *)r)->sum == 42);
}
#else
static volatile long sink;

static void check(void)
{
	sink ^= (long)summer;
}
#endif

XT_MAIN_CHECKED(init, check)
