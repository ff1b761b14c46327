/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A job handed to a thread: `pthread_create(&t, NULL, run_job, c->job)`,
 * the job's block from a site of no type (`c->job = calloc(1, sizeof(struct
 * job))`), and only the thread's start routine says what it is (`struct
 * job *j = arg`).  Version 2 extends struct job: it must arrive as version
 * 2's struct, or the update must refuse it. */
#include <pthread.h>
#include "xt.h"

struct job {
	int id;
	unsigned long done;
	char name[16];
};

struct conn {
	int fd;
	void *job;
};

static struct conn *conns[3];

static void *run_job(void *arg)
{
	struct job *j = arg;
	j->done += 10;
	strcpy(j->name, "job");
	return NULL;
}

static __attribute__((noinline)) void init(void)
{
	for (int i = 0; i < 3; i++) {
		struct conn *c = calloc(1, sizeof(*c));
		pthread_t t;
		c->fd = 10 + i;
		c->job = calloc(1, sizeof(struct job));
		if (pthread_create(&t, NULL, run_job, c->job) || pthread_join(t, NULL))
			abort();
		conns[i] = c;
	}
}

int main(void)
{
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
