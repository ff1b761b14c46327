/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A thread-per-connection server: main accepts on the Unix socket argv[1]
 * and starts one detached thread per client.  A client sends numbers, one
 * a line; each reply is "v<version> conn <id> sum <sum> count <count>":
 * the connection's running sum and request count live in the thread's
 * locals, its number in its heap struct client, and a line may arrive in
 * pieces (the part read so far waits in a local buffer).  The new version
 * (-DVERSION=2) lays struct client out differently.  A new or reversed
 * version starts no connection thread itself: libstf starts them again.
 * The thread gets its descriptor and number the common way, in a
 * malloc'ed struct it frees, and sets up its struct client itself.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stf.h>
#include "../listener.h"

#ifndef VERSION
#define VERSION 1
#endif

struct client {
#if VERSION == 2
	long requests;  /* new in version 2 */
	long id;
	int fd;
#else
	int fd;
	long id;
#endif
};

static long next_id;

struct start {
	int fd;
	long id;
};

static void *conn(void *arg)
{
	/* In a thread libstf starts again, arg is a zero-filled stand-in
	 * that free() ignores: this runs with descriptor 0 and number 0,
	 * never used, since the update point comes first and the transfer brings
	 * c, sum, count and the buffer. */
	struct start start = *(struct start *)arg;
	free(arg);
	struct client *c = calloc(1, sizeof *c);
	if (!c) {
		close(start.fd);
		return NULL;
	}
	c->fd = start.fd;
	c->id = start.id;
	long sum = 0, count = 0;
	char buf[256];
	size_t have = 0;

	for (;;) {
		stf_update_point();
		ssize_t n = read(c->fd, buf + have, sizeof buf - 1 - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += (size_t)n;
		char *nl;
		while ((nl = memchr(buf, '\n', have))) {
			*nl = 0;
			sum += atol(buf);
			count++;
#if VERSION == 2
			c->requests++;
#endif
			char out[128];
			int len = snprintf(out, sizeof out, "v%d conn %ld sum %ld count %ld\n",
					   VERSION, c->id, sum, count);
			if (write(c->fd, out, (size_t)len) != len)
				goto done;
			have -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, have);
		}
		if (have == sizeof buf - 1)
			break;  /* a line too long */
	}
done:
	close(c->fd);
	free(c);
	return NULL;
}

int main(int argc, char **argv)
{
	int lfd = -1;

	if (argc != 2) {
		fprintf(stderr, "usage: perconn SOCKET\n");
		return 2;
	}
	if (!stf_is_updating())
		lfd = listen_at("perconn", argv[1], SOCK_STREAM, 64);
	for (;;) {
		stf_update_point();
		int fd = accept_next("perconn", lfd);
		if (fd < 0)
			continue;
		struct start *arg = malloc(sizeof *arg);
		pthread_t th;
		if (!arg) {
			close(fd);
			continue;
		}
		arg->fd = fd;
		arg->id = ++next_id;
		if (pthread_create(&th, NULL, conn, arg) != 0) {
			close(fd);
			free(arg);
			continue;
		}
		pthread_detach(th);
	}
}
