/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of bev13-once.c: struct job gains members (24 -> 48 bytes);
 * the loop runs the pending one-shots with the moved jobs. */
#include <stdint.h>
#include <event2/event.h>
#include "xt.h"

#define NJOBS 4

struct job {
	void *number; /* an integer */
	unsigned long polled;
	char name[16];
	uint64_t runs;
	unsigned long cost;
};

static struct event_base *base;
static struct job *ran[NJOBS];
static int nran;

static void run(evutil_socket_t fd, short what, void *arg)
{
	struct job *j = arg;
	uintptr_t n = (uintptr_t)j->number;
	(void)fd, (void)what;
	j->runs++;
	if (n >= 1 && n <= NJOBS)
		ran[n - 1] = j;
	nran++;
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
	XT_V2_RECEIVE(init);
	for (int round = 0; round < 1000 && nran < NJOBS; round++)
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK), usleep(2000);
	CHECK(nran == NJOBS);
	for (long i = 0; i < NJOBS; i++) {
		struct job *j = ran[i];
		struct stf_object_info info;
		CHECK(j && stf_lookup(j, &info) == 0 && info.size >= sizeof(*j));
		if (!j)
			continue;
		CHECK(j->runs == 1 && j->cost == 10u * (i + 1) && j->polled == 0 && j->name[0] == 0);
	}
	CHECK(event_base_get_num_events(base, EVENT_BASE_COUNT_ACTIVE | EVENT_BASE_COUNT_ADDED) == 0);
	XT_V2_RESULT();
}
