/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tq - test client for t/update.
 *
 *   tq line SOCK TEXT      send TEXT + newline to the line server on the
 *                          stream socket SOCK, print its reply
 *   tq raw SOCK TEXT       send TEXT as one datagram to ttstd's client
 *                          socket SOCK, print the reply datagram
 *   tq fuzz SOCK N SEED    send N malformed, oversized or unknown requests
 *                          (deterministic from SEED) to ttstd, each on a
 *                          new connection; every one must get an `ok=0
 *                          error=...` reply.  Exit 1 otherwise.
 *   tq hold SOCK N SECONDS open N connections to the SOCK_SEQPACKET socket
 *                          SOCK, send nothing, hold them SECONDS; print
 *                          how many connected and how many the peer
 *                          closed meanwhile
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static int connect_to(const char *path, int type)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	/* The server may still be starting: retry for up to 5 s. */
	for (int i = 0; i < 500; i++) {
		fd = socket(AF_UNIX, type, 0);
		if (fd < 0)
			return -1;
		if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0)
			return fd;
		close(fd);
		usleep(10000);
	}
	fprintf(stderr, "tq: cannot connect to %s: %s\n", path, strerror(errno));
	return -1;
}

static int cmd_line(const char *path, const char *text)
{
	char buf[4096];
	ssize_t n;
	int fd = connect_to(path, SOCK_STREAM);

	if (fd < 0)
		return 2;
	/* One write: the server may answer and close after its first read. */
	snprintf(buf, sizeof buf, "%s\n", text);
	if (write(fd, buf, strlen(buf)) < 0) {
		perror("tq: write");
		return 2;
	}
	shutdown(fd, SHUT_WR);
	while ((n = read(fd, buf, sizeof buf)) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	return n < 0 ? 2 : 0;
}

/* Send one datagram, return the reply in buf (NUL-terminated) or -1. */
static ssize_t exchange(const char *path, const void *msg, size_t len, char *buf, size_t cap)
{
	struct pollfd p;
	ssize_t n;
	int fd = connect_to(path, SOCK_SEQPACKET);

	if (fd < 0)
		return -1;
	if (send(fd, msg, len, MSG_NOSIGNAL) < 0 && errno != EMSGSIZE) {
		close(fd);
		return -1;
	}
	p = (struct pollfd){ .fd = fd, .events = POLLIN };
	if (poll(&p, 1, 5000) != 1) {
		close(fd);
		return -1;
	}
	n = recv(fd, buf, cap - 1, 0);
	close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

static int cmd_raw(const char *path, const char *text)
{
	char buf[70000];

	if (exchange(path, text, strlen(text), buf, sizeof buf) < 0)
		return 2;
	puts(buf);
	return 0;
}

static int cmd_fuzz(const char *path, int count, unsigned seed)
{
	static char msg[70000];
	char reply[70000];
	int bad = 0;

	srand(seed);
	for (int i = 0; i < count; i++) {
		size_t len;

		switch (i % 8) {
		case 0: /* random bytes */
			len = 1 + (size_t)rand() % 200;
			for (size_t k = 0; k < len; k++)
				msg[k] = (char)rand();
			break;
		case 1: /* oversized */
			len = 65536 + 1 + (size_t)rand() % 4000; /* TTST_MSG_MAX + 1.. */
			memset(msg, 'a', len);
			break;
		case 2: /* unknown command */
			len = (size_t)snprintf(msg, sizeof msg, "cmd=frobnicate%d", rand() % 1000);
			break;
		case 3: /* no cmd */
			len = (size_t)snprintf(msg, sizeof msg, "x=1 y=2");
			break;
		case 4: /* bad escapes */
			len = (size_t)snprintf(msg, sizeof msg, "cmd=status%%%c", "0Zz%"[rand() % 4]);
			break;
		case 5: /* too many fields */
			len = 0;
			for (int k = 0; k < 300; k++)
				len += (size_t)snprintf(msg + len, sizeof msg - len, "a=%d ", k);
			break;
		case 6: /* an update with garbage arguments */
			len = (size_t)snprintf(msg, sizeof msg, "cmd=update new=%s timeout=%d",
					       rand() % 2 ? "relative/path" : "/nonexistent/binary",
					       rand() % 3);
			break;
		default: /* random printable key=value soup */
			len = 1 + (size_t)rand() % 300;
			for (size_t k = 0; k < len; k++)
				msg[k] = (char)(0x20 + rand() % 95);
			break;
		}
		ssize_t n = exchange(path, msg, len, reply, sizeof reply);
		if (n <= 0 || strncmp(reply, "ok=0 error=", 11) != 0) {
			fprintf(stderr, "tq: request %d (kind %d, %zu bytes) got %s\n", i, i % 8, len,
				n < 0 ? "no reply" : n == 0 ? "an empty reply" : reply);
			bad++;
		}
	}
	printf("%d requests, %d without an error reply\n", count, bad);
	return bad ? 1 : 0;
}

static int cmd_hold(const char *path, int count, int seconds)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct pollfd *p = calloc((size_t)count, sizeof *p);
	int connected = 0, closed = 0;

	if (!p)
		return 2;
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	for (int i = 0; i < count; i++) {
		int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0), r = -1;
		/* a full backlog says EAGAIN: give the peer time to accept */
		for (int tries = 0; fd >= 0 && tries < 100; tries++) {
			r = connect(fd, (struct sockaddr *)&sa, sizeof sa);
			if (r == 0 || errno != EAGAIN)
				break;
			usleep(1000);
		}
		if (r == 0) {
			p[connected++] = (struct pollfd){ .fd = fd, .events = POLLIN };
		} else if (fd >= 0) {
			close(fd);
		}
	}
	sleep((unsigned)seconds);
	poll(p, (nfds_t)connected, 0);
	for (int i = 0; i < connected; i++) {
		char buf[4096];
		if (p[i].revents & (POLLHUP | POLLERR))
			closed++;
		else if (p[i].revents & POLLIN) /* an error reply, then the end */
			while (recv(p[i].fd, buf, sizeof buf, MSG_DONTWAIT) > 0)
				if (poll(&p[i], 1, 0) == 1 && (p[i].revents & (POLLHUP | POLLERR))) {
					closed++;
					break;
				}
	}
	printf("%d connected, %d closed by the peer\n", connected, closed);
	return 0;
}

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	if (argc == 4 && strcmp(argv[1], "line") == 0)
		return cmd_line(argv[2], argv[3]);
	if (argc == 4 && strcmp(argv[1], "raw") == 0)
		return cmd_raw(argv[2], argv[3]);
	if (argc == 5 && strcmp(argv[1], "fuzz") == 0)
		return cmd_fuzz(argv[2], atoi(argv[3]), (unsigned)strtoul(argv[4], NULL, 10));
	if (argc == 5 && strcmp(argv[1], "hold") == 0)
		return cmd_hold(argv[2], atoi(argv[3]), atoi(argv[4]));
	fprintf(stderr, "usage: tq line|raw SOCK TEXT | tq fuzz SOCK N SEED | tq hold SOCK N SECONDS\n");
	return 2;
}
