/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Two ends of a bufferevent pair (bufferevent_pair_new), each with a
 * struct end as its callback argument (bufferevent_setcb); the program
 * keeps only the bufferevents.  Version 2 grows struct end past its
 * malloc chunk (32 -> 56 bytes); the blocks around it are libevent's,
 * kept at their address. */
#include <stdint.h>
#include <event2/event.h>
#include <event2/bufferevent.h>
#include "xt.h"

struct end {
	void *number; /* an integer */
	struct bufferevent *bev;
	uint64_t reads;
	unsigned long bytes;
};

static struct event_base *base;
static struct bufferevent *ends[2];

static void on_read(struct bufferevent *bev, void *arg)
{
	struct end *e = arg;
	e->reads++;
	e->bytes += evbuffer_get_length(bufferevent_get_input(bev));
}

static __attribute__((noinline)) void init(void)
{
	base = event_base_new();
	bufferevent_pair_new(base, 0, ends);
	for (long i = 0; i < 2; i++) {
		struct end *e = calloc(1, sizeof *e);
		e->number = (void *)(uintptr_t)(i + 1);
		e->bev = ends[i];
		bufferevent_setcb(ends[i], on_read, NULL, NULL, e);
		bufferevent_enable(ends[i], EV_READ | EV_WRITE);
	}
}

int main(void)
{
	if (!stf_is_updating()) {
		void *arg;
		init();
		bufferevent_getcb(ends[0], NULL, NULL, NULL, &arg);
		if (((struct end *)arg)->bev != ends[0] || bufferevent_get_base(ends[0]) != base)
			abort(); /* read at -O2 */
	}
	XT_V1_LOOP();
}
