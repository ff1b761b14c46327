/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A bufferevent's callback argument, kept in libevent's memory: from a
 * site of no type (`void *ctx = malloc(sizeof(struct conn))`), given to
 * bufferevent_setcb with callbacks that ignore it, and read back through
 * bufferevent_getcb's out-parameter (`void *arg; bufferevent_getcb(bev,
 * NULL, NULL, NULL, &arg); struct conn *c = arg;`).  A second
 * bufferevent's argument, of another struct, is given with callbacks
 * that cast it.  Version 2 grows both structs: the blocks must arrive as
 * version 2's structs. */
#include <event2/event.h>
#include <event2/bufferevent.h>
#include "xt.h"

struct conn {
	int fd;
	unsigned long hits;
	char name[16];
};

struct peer {
	long id;
	unsigned long bytes;
};

static struct event_base *base;
static struct bufferevent *bevs[2];

static void on_read(struct bufferevent *bev, void *arg)
{
	(void)bev;
	(void)arg;
}

static void on_peer_read(struct bufferevent *bev, void *arg)
{
	struct peer *p = arg;
	(void)bev;
	p->bytes++;
}

static void on_peer_event(struct bufferevent *bev, short what, void *arg)
{
	struct peer *p = arg;
	(void)bev;
	p->id = what;
}

static struct conn *conn_of(struct bufferevent *bev)
{
	void *arg;
	bufferevent_getcb(bev, NULL, NULL, NULL, &arg);
	return arg;
}

static __attribute__((noinline)) void init(void)
{
	base = event_base_new();
	bevs[0] = bufferevent_socket_new(base, -1, 0);
	void *ctx = malloc(sizeof(struct conn));
	bufferevent_setcb(bevs[0], on_read, NULL, NULL, ctx);
	struct conn *c = conn_of(bevs[0]);
	c->fd = 10;
	c->hits = 100;
	snprintf(c->name, sizeof(c->name), "conn0");
	bevs[1] = bufferevent_socket_new(base, -1, 0);
	void *pctx = calloc(1, sizeof(struct peer));
	bufferevent_setcb(bevs[1], on_peer_read, NULL, on_peer_event, pctx);
	on_peer_event(bevs[1], 77, pctx);
	on_peer_read(bevs[1], pctx);
}

int main(void)
{
	if (!stf_is_updating()) {
		init();
		if (!conn_of(bevs[0]))
			abort(); /* read at -O2 */
	}
	XT_V1_LOOP();
}
