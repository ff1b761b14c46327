/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2: the loop's locals widen; once updated, the state and the
 * locals must agree with the number of rounds version 1 ran. */
#include "xt.h"
#include "jobs.h"

static int started_normally;

static void check(struct job *cur, unsigned long round, long sum)
{
	long want = 0;
	for (unsigned long k = 0; k < round; k++)
		want += (long)(k % 5) + 1;
	CHECK(round <= 100000);
	fprintf(stderr, "updated after %lu rounds\n", round);
	CHECK(sum == want);
	CHECK(round ? cur == job_by_id((int)((round - 1) % 5) + 1) : cur == NULL);
	CHECK(work_calls() == round);
	CHECK(total_left == 500 - (long)round);
	int n = 0;
	for (struct job *j = queue; j; j = j->next, n++) {
		unsigned long runs = round / 5 + ((unsigned long)(j->id - 1) < round % 5);
		CHECK(j->id == n + 1 && j->owner == NULL);
		CHECK(j->left == 100 - (long)runs);
		CHECK(work_done_for(j->id) == runs);
		CHECK(job_by_id(j->id) == j);
	}
	CHECK(n == 5);
	XT_V2_RESULT();
}

int main(void)
{
	struct job *cur = NULL;
	unsigned long round = 0;
	long sum = 0;

	if (!stf_is_updating()) {
		started_normally = 1;
		jobs_init();
	}
	for (;;) {
		stf_update_point();
		if (!started_normally)
			check(cur, round, sum);
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
