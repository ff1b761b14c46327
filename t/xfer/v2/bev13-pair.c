/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of bev13-pair.c: struct end gains members before its
 * bufferevent (32 -> 56 bytes); data written into one end reaches the
 * other end's read callback with the moved struct end. */
#include <stdint.h>
#include <event2/event.h>
#include <event2/bufferevent.h>
#include "xt.h"

struct end {
	void *number; /* an integer */
	unsigned long polled;
	char name[16];
	struct bufferevent *bev;
	uint64_t reads;
	unsigned long bytes;
};

static struct event_base *base;
static struct bufferevent *ends[2];
static struct end *got[2];

static void on_read(struct bufferevent *bev, void *arg)
{
	struct end *e = arg;
	e->reads++;
	e->bytes += evbuffer_get_length(bufferevent_get_input(bev));
	got[bev == ends[1]] = e;
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
	XT_V2_RECEIVE(init);
	CHECK(bufferevent_write(ends[0], "ping", 4) == 0);
	CHECK(bufferevent_write(ends[1], "pong!", 5) == 0);
	event_base_loop(base, EVLOOP_NONBLOCK);
	for (long i = 0; i < 2; i++) {
		struct end *e = got[i];
		void *arg;
		struct stf_object_info info;
		bufferevent_getcb(ends[i], NULL, NULL, NULL, &arg);
		CHECK(e && e == arg && stf_lookup(e, &info) == 0 && info.size >= sizeof(*e));
		if (!e)
			continue;
		CHECK(e->number == (void *)(uintptr_t)(i + 1) && e->bev == ends[i]);
		CHECK(e->reads == 1 && e->bytes == (i ? 4u : 5u) && e->polled == 0 && e->name[0] == 0);
	}
	XT_V2_RESULT();
}
