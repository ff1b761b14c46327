/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * wire.c - the wire protocol between F (backward transfer) and R (serving
 * side): framed messages over the connection ttstd hands them.  The
 * message types are listed in engine.h.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "alloc.h"
#include "callbacks.h"
#include "engine.h"
#include "epoll.h"
#include "fault.h"
#include "remote.h"
#include "scratch.h"
#include "xfer.h"

static int conn_is_stream(int fd)
{
	int type = 0;
	socklen_t len = sizeof(type);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) < 0)
		return 1; /* a pipe or socketpair of unknown kind: frame it */
	return type == SOCK_STREAM;
}

static int write_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;
	while (n) {
		ssize_t r = send(fd, b, n, MSG_NOSIGNAL);
		if (r < 0 && errno == ENOTSOCK)
			r = write(fd, b, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

static int read_all(int fd, void *p, size_t n)
{
	uint8_t *b = p;
	while (n) {
		ssize_t r = read(fd, b, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

int stf__msg_send(int fd, uint32_t type, const void *p, uint32_t len)
{
	uint8_t *buf = stf__scratch(SCRATCH_MSG_SEND);
	struct msg_hdr h = { type, len };
	if (len > MSG_MAX)
		return errno = EMSGSIZE, -1;
	if (!buf)
		return -1;
	memcpy(buf, &h, sizeof(h));
	if (len)
		memcpy(buf + sizeof(h), p, len);
	return write_all(fd, buf, sizeof(h) + len);
}

/* Receive into buf (MSG_MAX bytes); -1 on error or a malformed message. */
int stf__msg_recv(int fd, uint32_t *type, void *buf, uint32_t *len)
{
	struct msg_hdr h;
	if (conn_is_stream(fd)) {
		if (read_all(fd, &h, sizeof(h)) < 0 || h.len > MSG_MAX ||
		    read_all(fd, buf, h.len) < 0)
			return -1;
	} else {
		uint8_t *tmp = stf__scratch(SCRATCH_MSG_RECV);
		ssize_t r;
		if (!tmp)
			return -1;
		do
			r = recv(fd, tmp, sizeof(h) + MSG_MAX, 0);
		while (r < 0 && errno == EINTR);
		if (r < (ssize_t)sizeof(h))
			return -1;
		memcpy(&h, tmp, sizeof(h));
		if (h.len != (size_t)r - sizeof(h))
			return -1;
		memcpy(buf, tmp + sizeof(h), h.len);
	}
	*type = h.type;
	*len = h.len;
	return 0;
}
