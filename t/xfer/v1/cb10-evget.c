/* SPDX-License-Identifier: GPL-3.0-or-later */
/* User data read back through the library: the events' arguments, from a
 * site of no type (`void *ctx = malloc(sizeof(struct conn))`), are given
 * to event_new with a callback that does not look at them, and only the
 * code reading them back says what they are (`struct conn *c =
 * event_get_callback_arg(ev)`).  Version 2 extends struct conn: the
 * blocks must arrive as version 2's struct, or the update must refuse
 * them. */
#include <event2/event.h>
#include "xt.h"

struct conn {
	int fd;
	unsigned long hits;
	char name[16];
};

static struct event *evs[3];
static unsigned long wakeups;

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	(void)arg;
	wakeups++;
}

static __attribute__((noinline)) void init(void)
{
	for (int i = 0; i < 3; i++) {
		void *ctx = malloc(sizeof(struct conn));
		evs[i] = event_new(NULL, -1, 0, on_wake, ctx);
		struct conn *c = event_get_callback_arg(evs[i]);
		c->fd = 10 + i;
		c->hits = 100 + i;
		snprintf(c->name, sizeof(c->name), "conn%d", i);
	}
}

int main(void)
{
	if (!stf_is_updating()) {
		init();
		for (unsigned i = 0; i < sizeof(evs) / sizeof(evs[0]); i++)
			if (!event_get_callback_arg(evs[i]))
				abort(); /* read at -O2 */
	}
	XT_V1_LOOP();
}
