/* SPDX-License-Identifier: GPL-3.0-or-later */
/* memcached's listening connection under load, small: a heap object the
 * static `listener` points to, with a libevent event embedded in it, made
 * again by every version's startup; the update point in the callback of
 * stf_update_fd() (memcached's 6-line recipe: the new version parks there
 * too, inside libevent's loop on its startup's base).  The startup's event
 * is a timer already due, so it is on that base's active queue behind the
 * update's event when the new version parks, as a listening socket with a
 * pending connection is in memcached; after the commit libevent goes on
 * down that queue.  The old listener went into the startup's block in
 * place (transfer/inplace.c), its bytes over the queued event's: the
 * committed version 2 exited at once (with a timer that does not persist
 * it called it forever), "event_queue_remove_active: 0x...
 * not on queue 8".  The startup's listener stays the startup's (its timer
 * fires in it) and version 2 must find the old one's state, its event on
 * the old base and not pending.  With -DSTATIC_EVENT the listener is a
 * static, which the transfer overwrites: the update must roll back. */
#include <event2/event.h>
#include <event2/event_struct.h>
#include "xt.h"

struct listener {
	int id;
	struct event ev;
	unsigned long accepted;
};

static struct listener *listener;
static struct event_base *base;
#ifdef STATIC_EVENT
static struct listener held; /* evactive17-static.xfer */
#endif

static void on_update(evutil_socket_t fd, short which, void *arg)
{
	stf_update_point();
}

static void on_due(evutil_socket_t fd, short which, void *arg)
{
	struct listener *l = arg;
	(void)fd, (void)which;
	l->accepted++;
	event_del(&l->ev); /* once: persistent, like memcached's listening event */
}

int main(void)
{
	static const struct timeval now = { 0, 0 };

	base = event_base_new();
#ifdef STATIC_EVENT
	listener = &held;
#else
	listener = calloc(1, sizeof(*listener));
#endif
	listener->id = 7;
	if (!stf_is_updating())
		listener->accepted = 41;
	event_assign(&listener->ev, base, -1, EV_PERSIST, on_due, listener);
	event_add(event_new(base, stf_update_fd(), EV_READ | EV_PERSIST, on_update, NULL), NULL);
	event_add(&listener->ev, &now);
	for (;;) {
		event_base_loop(base, EVLOOP_ONCE);
#ifdef V2
		static int reported;
		if (!stf_is_updating() && !reported++) {
			CHECK(listener->id == 7 && listener->accepted == 42);
			CHECK(event_get_base(&listener->ev) == base);
			CHECK(event_get_callback_arg(&listener->ev) == listener);
			CHECK(!event_pending(&listener->ev, EV_TIMEOUT, NULL));
			XT_V2_RESULT();
		}
#endif
	}
	return 0;
}
