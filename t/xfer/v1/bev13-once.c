/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Jobs reached only as the argument of pending one-shot events
 * (event_base_once): one per job, with no timeout (active at once) or a
 * timeout of 200 ms; version 1 never runs its loop, so they are still
 * pending when it is updated, and the program keeps no pointer to the
 * jobs.  Version 2 grows struct job past its malloc chunk. */
#include <stdint.h>
#include <event2/event.h>
#include "xt.h"

#define NJOBS 4

struct job {
	void *number; /* an integer */
	uint64_t runs;
	unsigned long cost;
};

static struct event_base *base;

static void run(evutil_socket_t fd, short what, void *arg)
{
	struct job *j = arg;
	(void)fd, (void)what;
	j->runs++;
}

static __attribute__((noinline)) void init(void)
{
	const struct timeval soon = { 0, 200000 };
	base = event_base_new();
	for (long i = 0; i < NJOBS; i++) {
		struct job *j = calloc(1, sizeof *j);
		j->number = (void *)(uintptr_t)(i + 1);
		j->cost = 10 * (i + 1);
		if (event_base_once(base, -1, EV_TIMEOUT, run, j, i % 2 ? &soon : NULL) < 0)
			abort();
	}
}

int main(void)
{
	if (!stf_is_updating()) {
		init();
		if (!event_base_get_num_events(base, EVENT_BASE_COUNT_ACTIVE | EVENT_BASE_COUNT_ADDED))
			abort();
	}
	XT_V1_LOOP();
}
