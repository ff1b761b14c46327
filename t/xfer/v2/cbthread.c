/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of cbthread.c: struct job gains members before done. */
#include <pthread.h>
#include "xt.h"

struct job {
	int id;
	int prio;
	unsigned long started;
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
	XT_V2_RECEIVE(init);
	for (int i = 0; i < 3; i++) {
		struct job *j = conns[i]->job;
		struct stf_object_info info;
		CHECK(conns[i]->fd == 10 + i);
		CHECK(stf_lookup(j, &info) == 0 && info.size >= sizeof(*j));
		CHECK(j->done == 10 && !strcmp(j->name, "job"));
		CHECK(j->prio == 0 && j->started == 0);
	}
	XT_V2_RESULT();
}
