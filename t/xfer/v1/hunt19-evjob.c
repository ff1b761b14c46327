/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Jobs embedding a persistent libevent timer whose period is a struct
 * timeval member of the job (`event_assign(&j->tick, base, -1,
 * EV_PERSIST, on_tick, j)`, `event_add(&j->tick, &j->every)`), plus an
 * event_base_once whose argument is a job (libevent keeps it in memory
 * of its own).  Version 1 never runs its loop.  struct job gains members
 * before the timeval and the event in version 2: the jobs move and
 * convert, libevent's timer heap follows the events, the events' and the
 * once-callback's arguments the jobs; version 2 runs the loop until every
 * job ticked and the once-callback ran. */
#include <stdint.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include "xt.h"

#define NJOBS 3

struct job {
#ifdef V2
	long runs;     /* new in 2 */
	char label[8]; /* new in 2 */
#endif
	int id;
	struct timeval every;
	struct event tick;
	struct job *next;
};

static struct event_base *base;
static struct job *jobs;
static int ticked, once_ran;

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct job *j = arg;
	(void)fd, (void)what;
	if (j->every.tv_usec == 1000 * (j->id + 1) && event_get_callback_arg(&j->tick) == j)
		ticked |= 1 << j->id;
}

static void on_once(evutil_socket_t fd, short what, void *arg)
{
	struct job *j = arg;
	(void)fd, (void)what;
	if (j->id == NJOBS - 1 && j == jobs && j->next->id == NJOBS - 2)
		once_ran = 1;
}

static __attribute__((noinline)) void init(void)
{
	const struct timeval soon = { 0, 1000 };
	base = event_base_new();
	for (int i = 0; i < NJOBS; i++) {
		struct job *j = calloc(1, sizeof *j);
		j->id = i;
		j->every.tv_usec = 1000 * (i + 1);
		event_assign(&j->tick, base, -1, EV_PERSIST, on_tick, j);
		event_add(&j->tick, &j->every);
		j->next = jobs;
		jobs = j;
	}
	event_base_once(base, -1, EV_TIMEOUT, on_once, jobs, &soon);
}

static void check(void)
{
	int n = 0;
	for (struct job *j = jobs; j; j = j->next, n++)
		CHECK(j->id == NJOBS - 1 - n && evtimer_pending(&j->tick, NULL));
	CHECK(n == NJOBS);
#ifdef V2
	ticked = 0;
	for (int k = 0; k < 2000 && (ticked != (1 << NJOBS) - 1 || !once_ran); k++)
		event_base_loop(base, EVLOOP_ONCE);
	CHECK(ticked == (1 << NJOBS) - 1);
	CHECK(once_ran);
	for (struct job *j = jobs; j; j = j->next)
		CHECK(j->runs == 0 && j->label[0] == 0);
#endif
}

XT_MAIN_CHECKED(init, check)
