/* SPDX-License-Identifier: GPL-3.0-or-later */
/* The job queue and its accounting, in a file of its own. */
#include <stdlib.h>
#include "jobs.h"

struct job *queue;
int total_left;
static struct job *by_id[6];
static unsigned calls;

void work_done(struct job *j)
{
	static unsigned per_job[6];
	per_job[j->id]++;
	calls++;
	total_left--;
	if (per_job[j->id] != (unsigned)(100 - j->left))
		abort();
}

unsigned work_calls(void)
{
	return calls + (by_id[1] ? 0 : 1000);
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
