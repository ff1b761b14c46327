/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Version 2 of tls.c: each thread checks its own copies of the
 * thread-local variables once the update committed (the worker, started
 * again by the update, first; main reports).
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
static volatile int worker_checked;

static __attribute__((noinline)) void init_thread(int n, const char *name)
{
	mine = malloc(sizeof(*mine));
	mine->n = n;
	snprintf(mine->name, sizeof(mine->name), "%s", name);
	mine->self = mine;
	count = n * 10;
	seen = n;
}

static void check_thread(int n, const char *name)
{
	CHECK(count == n * 10);
	CHECK(seen == n);
	CHECK(mine && mine->n == n && !strcmp(mine->name, name) && mine->self == mine);
}

static void *worker(void *arg)
{
	(void)arg;
	if (!stf_is_updating()) {
		init_thread(2, "worker");
		worker_count = &count;
	}
	stf_update_point();
	if (!worker_checked) {
		check_thread(2, "worker");
		CHECK(worker_count == &count);
		worker_checked = 1;
	}
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
#ifdef TLS_RENAMED
	TLS_RENAMED; /* rename19 */
#endif
	XT_V2_RECEIVE(init);
	while (!worker_checked)
		usleep(1000);
	check_thread(1, "main");
	CHECK(worker_count && worker_count != &count && *worker_count == 20);
	XT_V2_RESULT();
}
