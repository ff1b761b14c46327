/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Integers in pointer-typed places: a thread argument holding a small
 * number ((void *)(long)i, as given to pthread_create), sentinels like
 * (void *)1 and (void *)-1 (MAP_FAILED).  No user pointer can have these
 * values: they travel as they are, in unchanged (struct job) and changed
 * (struct cache) types. */
#include "xt.h"

struct job {
	void *(*fn)(void *);
	void *arg;
};

struct cache {
	char *map;
	long n;
};

static void *worker(void *arg)
{
	return arg;
}

static struct job jobs[4];
static struct cache cache;
static void *token;
static struct job *heap_job;

static __attribute__((noinline)) void init(void)
{
	for (long i = 0; i < 4; i++) {
		jobs[i].fn = worker;
		jobs[i].arg = (void *)i;
	}
	cache.map = (void *)-1;
	cache.n = 5;
	token = (void *)1;
	heap_job = malloc(sizeof(*heap_job));
	heap_job->fn = worker;
	heap_job->arg = (void *)(long)3;
}

int main(void)
{
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
