/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A libevent timer embedded in a static struct, set up by event_assign()
 * whose callback argument is a block allocated in the call itself
 * (`event_assign(&srv.tick, ..., on_tick, calloc(1, sizeof(struct
 * counters)))`): its only pointer is the event's `void *` argument, in
 * libevent's struct event, and its site has no type; the callback casts
 * the argument back (as does the accessor, event_get_callback_arg).
 * Version 2 adds a member in the middle of struct counters: the block
 * must arrive as version 2's struct, or the update must refuse (copied
 * as version 1's 16 bytes, version 2 reads its requests past the end). */
#include <event2/event.h>
#include <event2/event_struct.h>
#include "xt.h"

struct counters {
	unsigned long ticks;
	unsigned long peak_conns; /* new in 2 */
	unsigned long requests;
};

static struct {
	struct event_base *base;
	struct event tick;
} srv;

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct counters *k = arg;
	(void)fd, (void)what;
	k->ticks++;
}

static __attribute__((noinline)) void init(void)
{
	srv.base = event_base_new();
	event_assign(&srv.tick, srv.base, -1, 0, on_tick, calloc(1, sizeof(struct counters)));
	for (int i = 0; i < 7; i++)
		on_tick(-1, EV_TIMEOUT, event_get_callback_arg(&srv.tick));
	((struct counters *)event_get_callback_arg(&srv.tick))->requests = 41;
}

int main(void)
{
	XT_V2_RECEIVE(init);
	struct counters *k = event_get_callback_arg(&srv.tick);
	CHECK(k->ticks == 7 && k->peak_conns == 0 && k->requests == 41);
	XT_V2_RESULT();
}
