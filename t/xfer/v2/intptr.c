/* SPDX-License-Identifier: GPL-3.0-or-later */
/* See v1/intptr.c: struct cache gained a member, so its pointer goes
 * through the type transformation; the values arrive unchanged. */
#include "xt.h"

struct job {
	void *(*fn)(void *);
	void *arg;
};

struct cache {
	int generation;
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
	XT_V2_RECEIVE(init);
	for (long i = 0; i < 4; i++) {
		CHECK(jobs[i].fn == worker);
		CHECK(jobs[i].arg == (void *)i);
	}
	CHECK(jobs[3].fn(jobs[3].arg) == (void *)3);
	CHECK(cache.map == (void *)-1);
	CHECK(cache.n == 5);
	CHECK(cache.generation == 0);
	CHECK(token == (void *)1);
	CHECK(heap_job != NULL);
	if (heap_job) {
		CHECK(heap_job->fn == worker);
		CHECK(heap_job->arg == (void *)3);
	}
	XT_V2_RESULT();
}
