/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Servers reached only through their listeners' callback argument, in
 * libevent's memory: each struct server is given to
 * evconnlistener_new_bind (a socket on 127.0.0.1, any port) and the
 * program keeps only the listeners.  Version 2 grows struct server past
 * its malloc chunk (40 -> 64 bytes); the next block is its listener,
 * which libevent allocated and keeps at its address. */
#include <stdint.h>
#include <netinet/in.h>
#include <event2/event.h>
#include <event2/listener.h>
#include "xt.h"

#define NSERVERS 3

struct server {
	void *number; /* an integer */
	struct evconnlistener *lev;
	uint64_t accepted;
	unsigned backlog, flags;
	unsigned long bytes;
};

static struct event_base *base;
static struct evconnlistener *listeners[NSERVERS];

static void on_accept(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa,
		      int socklen, void *arg)
{
	struct server *s = arg;
	(void)lev, (void)sa, (void)socklen;
	s->accepted++;
	close(fd);
}

static __attribute__((noinline)) void init(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	base = event_base_new();
	for (long i = 0; i < NSERVERS; i++) {
		struct server *s = calloc(1, sizeof *s);
		s->number = (void *)(uintptr_t)(i + 1);
		s->backlog = 16;
		s->lev = evconnlistener_new_bind(base, on_accept, s, LEV_OPT_REUSEABLE, 16,
						 (struct sockaddr *)&sin, sizeof sin);
		listeners[i] = s->lev;
	}
}

int main(void)
{
	if (!stf_is_updating()) {
		init();
		if (!listeners[0] || evconnlistener_get_base(listeners[0]) != base)
			abort(); /* read at -O2 */
	}
	XT_V1_LOOP();
}
