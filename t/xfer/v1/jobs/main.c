/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A worker loop whose update point sits in the loop, with locals that
 * carry the loop's progress (built -O2 by jobs-O2.xfer). */
#include "xt.h"
#include "jobs.h"

int main(void)
{
	struct job *cur = NULL;
	unsigned round = 0;
	int sum = 0;

	if (!stf_is_updating())
		jobs_init();
	for (;;) {
		stf_update_point();
		if (round < 100000) {
			cur = cur && cur->next ? cur->next : queue;
			cur->left--;
			sum += cur->id;
			round++;
			work_done(cur);
			if (work_calls() != round)
				abort();
		}
		usleep(1000);
	}
}
