/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * epoll-lines.h - shared by the idiom servers on plain epoll whose
 * connections are `struct conn` registered by pointer (arenakv, genkv):
 * the event loop, the update point at its top.  The listener is
 * registered by the address of the server's static holding it, the
 * update descriptor by NULL.  Include it after line-conn.h; the server
 * defines conn_new(fd), conn_close(c) (which calls epoll_lines_forget)
 * and command(c, line), and INBUF, the size of `c->in`.
 */
#ifndef EPOLL_LINES_H
#define EPOLL_LINES_H

#include <errno.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stf.h>

static int epfd;

static struct conn *conn_new(int fd);
static void conn_close(struct conn *c);
static void command(struct conn *c, char *line);

static void epoll_lines_add(int fd, void *who)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = who };

	epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

static void epoll_lines_forget(struct conn *c)
{
	epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
}

/* At a fresh start: the epoll set, with *listener and the update
 * descriptor. */
static void epoll_lines_start(int *listener)
{
	epfd = epoll_create1(EPOLL_CLOEXEC);
	epoll_lines_add(*listener, listener);
	epoll_lines_add(stf_update_fd(), NULL);
}

/* Serves until epoll fails (then 1). */
static int epoll_lines_run(int *listener)
{
	struct epoll_event evs[32];

	for (;;) {
		int n;

		stf_update_point();
		n = epoll_wait(epfd, evs, 32, 1000);
		if (n < 0 && errno != EINTR) {
			perror("epoll_wait");
			return 1;
		}
		for (int i = 0; i < n; i++) {
			void *who = evs[i].data.ptr;
			if (!who) {
				continue; /* the update: the loop's top takes it */
			} else if (who == listener) {
				int fd = accept4(*listener, NULL, NULL, SOCK_NONBLOCK);
				if (fd >= 0)
					epoll_lines_add(fd, conn_new(fd));
			} else {
				struct conn *c = who;
				if (read_lines(c, c->in, &c->inlen, INBUF, command) < 0)
					conn_close(c);
			}
		}
	}
}

#endif
