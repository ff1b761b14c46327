/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * listener.h - shared by the servers of t/update (v1/ and v2/): the
 * listening socket at the path the test script connects to, the accept
 * of their update point's loop, and one request's read and reply.  The
 * loops themselves stay in each server: where the update point sits, and
 * which locals its frame holds, is what each test is about.
 */
#ifndef LISTENER_H
#define LISTENER_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <unistd.h>

/* A socket of TYPE (SOCK_STREAM, with SOCK_CLOEXEC as sshd's) listening
 * at PATH with BACKLOG; a failure ends the program, named WHO. */
static inline int listen_at(const char *who, const char *path, int type, int backlog)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = -1;

	if (strlen(path) >= sizeof sa.sun_path)
		errno = ENAMETOOLONG;
	else
		fd = socket(AF_UNIX, type, 0);
	if (fd >= 0) {
		strcpy(sa.sun_path, path);
		unlink(path);
	}
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, backlog) < 0) {
		fprintf(stderr, "%s: listen at %s: %s\n", who, path, strerror(errno));
		exit(1);
	}
	return fd;
}

/* The next connection on LFD, or -1 when a signal interrupted the wait
 * (an update's: the caller goes back to its update point); any other
 * failure ends the program, named WHO (a loop whose caller must see it
 * return, as cycle.c's, keeps its own accept). */
static inline int accept_next(const char *who, int lfd)
{
	int c = accept(lfd, NULL, NULL);

	if (c < 0 && errno != EINTR) {
		fprintf(stderr, "%s: accept: %s\n", who, strerror(errno));
		exit(1);
	}
	return c;
}

/* One request: what one read of FD gets, at most SIZE - 1 bytes, ended
 * by a NUL; 0 or -1 when nothing came. */
static inline ssize_t read_request(int fd, char *buf, size_t size)
{
	ssize_t n = read(fd, buf, size - 1);

	if (n > 0)
		buf[n] = '\0';
	return n;
}

static inline void write_reply(int fd, const char *out)
{
	if (write(fd, out, strlen(out)) < 0)
		perror("write");
}

#endif
