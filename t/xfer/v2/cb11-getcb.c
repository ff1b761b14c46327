/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of cb11-getcb.c: struct conn and struct peer gain members. */
#include <event2/event.h>
#include <event2/bufferevent.h>
#include "xt.h"

struct conn {
	int fd;
	int prio;
	unsigned long started;
	unsigned long hits;
	char name[16];
};

struct peer {
	unsigned flags;
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
	XT_V2_RECEIVE(init);
	struct conn *c = conn_of(bevs[0]);
	struct stf_object_info info;
	CHECK(stf_lookup(c, &info) == 0 && info.size >= sizeof(*c));
	CHECK(c->fd == 10 && c->hits == 100 && !strcmp(c->name, "conn0"));
	CHECK(c->prio == 0 && c->started == 0);
	/* copied out, not read as a struct peer: the getter's results stay
	 * of one struct, as in version 1 */
	void *arg;
	struct peer p;
	bufferevent_getcb(bevs[1], NULL, NULL, NULL, &arg);
	CHECK(stf_lookup(arg, &info) == 0 && info.size >= sizeof(p));
	memcpy(&p, arg, sizeof(p));
	CHECK(p.id == 77 && p.bytes == 1 && p.flags == 0);
	XT_V2_RESULT();
}
