/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2: the counters widen. */
#include <stdlib.h>
#include "jobs.h"

struct job *queue;
long total_left;
static struct job *by_id[6];
static unsigned long calls;
static unsigned long *per_job_seen;

void work_done(struct job *j)
{
	static unsigned long per_job[6];
	per_job_seen = per_job;
	if (!j)
		return;
	per_job[j->id]++;
	calls++;
	total_left--;
	if (per_job[j->id] != (unsigned long)(100 - j->left))
		abort();
}

unsigned long work_done_for(int id)
{
	work_done(NULL);
	return per_job_seen[id];
}

unsigned long work_calls(void)
{
	return calls + (by_id[1] ? 0 : 1000);
}

struct job *job_by_id(int id)
{
	return by_id[id];
}

void jobs_init(void)
{
	struct job **tail = &queue;
	for (int i = 1; i <= 5; i++) {
		struct job *j = calloc(1, sizeof(*j));
		j->id = i;
		j->left = 100;
		by_id[i] = j;
		*tail = j;
		tail = &j->next;
		total_left += j->left;
	}
}
