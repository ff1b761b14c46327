/* SPDX-License-Identifier: GPL-3.0-or-later */
/* memcached's workers on the merged tree, small: the running version
 * parks in the callback of stf_update_fd() (libevent calls it from inside
 * its loop), the new version at the top of its loop, where its local `me`
 * points to the worker its startup made (memcached's `me` into the
 * startup's threads array, 8-line recipe).  The thread is paired by its
 * identity, so that local keeps the new version's value, and the old
 * worker must go into the startup's block in place (transfer/inplace.c).
 * But the program orders workers by their addresses (lower(); memcached's
 * slab_rebalance_alloc() orders every pointer of no known type, so every
 * object a `void *` points to), so the old worker keeps its address: it stayed
 * where it was, `workers` pointed there and `me` to the startup's worker,
 * and the committed version ran on two sets of state (memcached: its
 * workers on the startup's bases and pipes, the main thread handing
 * connections to the old ones, every client hung).  The update must roll
 * back naming the worker and why it keeps its address. */
#include <event2/event.h>
#include "xt.h"

struct worker {
	int id;
	unsigned long served;
};

static struct worker *workers;
static struct event_base *base;

/* orders workers by their addresses */
int lower(const void *a, const void *b)
{
	return a < b;
}

static void on_update(evutil_socket_t fd, short which, void *arg)
{
	stf_update_point();
}

int main(void)
{
	base = event_base_new();
	workers = calloc(1, sizeof(*workers));
	struct worker *me = workers;
	me->id = 3;
	if (!stf_is_updating())
		me->served = 42;
	event_add(event_new(base, stf_update_fd(), EV_READ | EV_PERSIST, on_update, NULL), NULL);
	for (;;) {
		stf_update_point();
#ifdef V2
		CHECK(me == workers);
		CHECK(me->id == 3 && me->served == 42);
		XT_V2_RESULT();
#endif
		if (lower(me, base) < 0)
			break;
		event_base_loop(base, EVLOOP_ONCE);
	}
	return 0;
}
