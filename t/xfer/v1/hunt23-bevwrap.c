/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Connections from a size-prefixing wrapper declared STF_ALLOCATOR
 * (xmalloc keeps the size in a word before the block it returns, its
 * block a `size_t *`), each the callback argument of its bufferevent (a
 * word of libevent's memory pointing at the connection, 8 bytes into the
 * wrapper's block) and on the program's list (t/idioms/bevref).  Version 2
 * grows struct conn by a member before its bufferevent. */
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

struct conn {
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
	if (!stf_is_updating()) {
		init();
		void *arg;
		bufferevent_getcb(conns->bev, NULL, NULL, NULL, &arg);
		if (arg != conns || ((size_t *)conns)[-1] != sizeof(struct conn))
			abort(); /* read at -O2 */
	}
	XT_V1_LOOP();
}
