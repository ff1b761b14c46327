/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * An epoll server that keeps a pointer to each connection's heap object in
 * the kernel (epoll_event.data.ptr), as event-loop servers commonly do.
 * Persistent connections, one line per request:
 *   add K V   values[K] = V   -> "ok N"
 *   get K                     -> "V N"
 * where N counts the requests on this connection (kept in its object).
 * After an update the kernel must hand the new version pointers to its own
 * copies of the connection objects, or it reads freed or foreign memory.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stf.h>
#include "../listener.h"

struct conn {
	int fd;
	int requests;
	char line[128];
	size_t len;
};

static int values[64];
/* the newest connection: a typed pointer that gives the connection
 * blocks (their allocation site stores into epoll_data.ptr, a void *)
 * their type, so they move in the new version and the registrations
 * pointing to them are relocated (untyped, they would keep their
 * address) */
static struct conn *newest;

static void reply(struct conn *c, const char *req)
{
	char out[64];
	int k, v;

	c->requests++;
	if (sscanf(req, "add %d %d", &k, &v) == 2 && k >= 0 && k < 64) {
		values[k] = v;
		snprintf(out, sizeof out, "ok %d\n", c->requests);
	} else if (sscanf(req, "get %d", &k) == 1 && k >= 0 && k < 64) {
		snprintf(out, sizeof out, "%d %d\n", values[k], c->requests);
	} else {
		snprintf(out, sizeof out, "error %d\n", c->requests);
	}
	write_reply(c->fd, out);
}

static void serve(int ep, struct conn *c)
{
	ssize_t n = read(c->fd, c->line + c->len, sizeof c->line - 1 - c->len);
	char *nl;

	if (n <= 0) {
		epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
		if (newest == c)
			newest = NULL;
		free(c);
		return;
	}
	c->len += (size_t)n;
	c->line[c->len] = '\0';
	while ((nl = strchr(c->line, '\n'))) {
		*nl = '\0';
		reply(c, c->line);
		c->len -= (size_t)(nl + 1 - c->line);
		memmove(c->line, nl + 1, c->len + 1);
	}
}

int main(int argc, char **argv)
{
	struct epoll_event ev, evs[16];
	int lfd = -1, ep = -1;

	if (argc != 2)
		return 2;
	if (!stf_is_updating()) {
		lfd = listen_at("epollptr", argv[1], SOCK_STREAM, 16);
		ep = epoll_create1(0);
		ev.events = EPOLLIN;
		ev.data.ptr = NULL; /* the listener */
		if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev) < 0)
			return 1;
	}
	for (;;) {
		stf_update_point();
		int n = epoll_wait(ep, evs, 16, -1);
		if (n < 0 && errno == EINTR)
			continue;
		for (int i = 0; i < n; i++) {
			if (evs[i].data.ptr) {
				serve(ep, evs[i].data.ptr);
				continue;
			}
			struct conn *c = calloc(1, sizeof *c);
			if (!c)
				continue;
			newest = c;
			c->fd = accept(lfd, NULL, NULL);
			ev.events = EPOLLIN;
			ev.data.ptr = c;
			if (c->fd < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) < 0) {
				if (c->fd >= 0)
					close(c->fd);
				newest = NULL;
				free(c);
			}
		}
	}
}
