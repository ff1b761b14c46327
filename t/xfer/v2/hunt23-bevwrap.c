/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of hunt23-bevwrap.c: struct conn gains a count before its
 * bufferevent (32 -> 40 bytes).  Each connection must be where its
 * bufferevent's callback argument and the program's list both say, with
 * its values, its wrapper's size word saying the new size (so the
 * program's own free(p - 1) and accounting stay right), and freeable. */
#include <stdint.h>
#include <string.h>
#include <event2/event.h>
#include <event2/bufferevent.h>
#include "xt.h"

#define NCONNS 4

STF_ALLOCATOR void *xmalloc(size_t n);

void *xmalloc(size_t n)
{
	size_t *p = malloc(sizeof *p + n);
	if (!p)
		abort();
	*p = n;
	return p + 1;
}

static void xfree(void *q)
{
	free((size_t *)q - 1);
}

struct conn {
	unsigned long served;
	struct bufferevent *bev;
	struct conn *next;
	long id;
	char name[16];
};

static struct event_base *base;
static struct conn *conns;

static void on_read(struct bufferevent *bev, void *arg)
{
	struct conn *c = arg;
	(void)bev;
	c->id++;
}

static __attribute__((noinline)) void init(void)
{
	base = event_base_new();
	for (long i = 0; i < NCONNS; i++) {
		struct conn *c = memset(xmalloc(sizeof *c), 0, sizeof(struct conn));
		c->bev = bufferevent_socket_new(base, -1, 0);
		c->id = i + 1;
		snprintf(c->name, sizeof c->name, "conn%ld", i + 1);
		bufferevent_setcb(c->bev, on_read, NULL, NULL, c);
		c->next = conns;
		conns = c;
	}
}

int main(void)
{
	XT_V2_RECEIVE(init);
	long i = NCONNS;
	for (struct conn *c = conns; c; c = c->next, i--) {
		void *arg;
		char name[16];
		bufferevent_getcb(c->bev, NULL, NULL, NULL, &arg);
		snprintf(name, sizeof name, "conn%ld", i);
		CHECK(arg == c);
		CHECK(c->id == i && !strcmp(c->name, name) && c->served == 0);
		CHECK(((size_t *)c)[-1] == sizeof(*c));
	}
	CHECK(i == 0);
	struct conn *first = conns;
	conns = first->next;
	bufferevent_free(first->bev);
	xfree(first);
	XT_V2_RESULT();
}
