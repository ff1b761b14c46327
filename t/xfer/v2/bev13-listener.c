/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of bev13-listener.c: struct server gains members before its
 * listener (40 -> 64 bytes); a connection to each listener reaches the
 * accept callback with the moved server. */
#include <stdint.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <event2/event.h>
#include <event2/listener.h>
#include "xt.h"

#define NSERVERS 3

struct server {
	void *number; /* an integer */
	unsigned long polled;
	char name[16];
	struct evconnlistener *lev;
	uint64_t accepted;
	unsigned backlog, flags;
	unsigned long bytes;
};

static struct event_base *base;
static struct evconnlistener *listeners[NSERVERS];
static struct server *seen[NSERVERS];

static void on_accept(struct evconnlistener *lev, evutil_socket_t fd, struct sockaddr *sa,
		      int socklen, void *arg)
{
	struct server *s = arg;
	(void)sa, (void)socklen;
	s->accepted++;
	for (int i = 0; i < NSERVERS; i++)
		if (listeners[i] == lev)
			seen[i] = s;
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

/* Connects to listener i's port; the client socket, or -1. */
static int connect_to(int i)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof sin;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || getsockname(evconnlistener_get_fd(listeners[i]), (struct sockaddr *)&sin, &len) < 0 ||
	    connect(fd, (struct sockaddr *)&sin, len) < 0)
		return -1;
	return fd;
}

int main(void)
{
	int fds[NSERVERS];
	XT_V2_RECEIVE(init);
	for (int i = 0; i < NSERVERS; i++)
		CHECK((fds[i] = connect_to(i)) >= 0);
	for (int round = 0; round < 50 && (!seen[0] || !seen[1] || !seen[2]); round++)
		event_base_loop(base, EVLOOP_ONCE | EVLOOP_NONBLOCK), usleep(2000);
	for (long i = 0; i < NSERVERS; i++) {
		struct server *s = seen[i];
		struct stf_object_info info;
		CHECK(s && stf_lookup(s, &info) == 0 && info.size >= sizeof(*s));
		if (!s)
			continue;
		CHECK(s->number == (void *)(uintptr_t)(i + 1) && s->lev == listeners[i]);
		CHECK(s->accepted == 1 && s->backlog == 16 && s->polled == 0 && s->name[0] == 0);
		close(fds[i]);
	}
	XT_V2_RESULT();
}
