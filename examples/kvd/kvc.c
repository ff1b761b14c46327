/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * kvc - send requests to kvd and print the replies.
 *
 *   kvc [--address A] --port N [REQUEST...]
 *   kvc [--address A] --port N --raw
 *
 * Each REQUEST argument is one line ("SET k v", "GET k", "STATS"); without
 * arguments, lines are read from standard input.  Every reply line is
 * printed on standard output.
 *
 * --raw forwards standard input to kvd byte for byte as it arrives (a
 * request may be sent in pieces; input kvd does not accept yet is kept in
 * memory) and reads replies only after the end of its input: until then
 * they pile up in kvd.  It ends when every request line got its reply line.
 *
 * Exit status: 0 all replies received, 1 a reply was "ERROR ...", 2 usage,
 * 3 connection or I/O failure (also: no progress for 30 s in --raw mode
 * once the input ended).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static FILE *conn_in, *conn_out;

/* rcvbuf: receive buffer size, 0 = the system's default (autotuned). */
static int connect_to(const char *addr, int port, int rcvbuf)
{
	struct sockaddr_in sa;
	int fd;

	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons(port);
	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
		fprintf(stderr, "kvc: bad address '%s' (want a dotted IPv4 address)\n", addr);
		exit(2);
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && rcvbuf)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		fprintf(stderr, "kvc: cannot connect to %s:%d: %s (is kvd running?)\n",
			addr, port, strerror(errno));
		exit(3);
	}
	return fd;
}

/* Send one request line and print its one-line reply. */
static int request(const char *line)
{
	char *reply = NULL;
	size_t cap = 0;
	ssize_t n;
	int rc;

	if (fprintf(conn_out, "%s\n", line) < 0 || fflush(conn_out) != 0) {
		fprintf(stderr, "kvc: sending '%s': %s\n", line, strerror(errno));
		exit(3);
	}
	n = getline(&reply, &cap, conn_in);
	if (n <= 0 || reply[n - 1] != '\n') {
		fprintf(stderr, "kvc: connection closed before the reply to '%s'\n", line);
		exit(3);
	}
	fputs(reply, stdout);
	rc = strncmp(reply, "ERROR", 5) == 0;
	free(reply);
	return rc;
}

/* Count the newlines of buf[0..len). */
static unsigned long count_lines(const char *buf, size_t len)
{
	unsigned long n = 0;
	const char *p = buf, *end = buf + len;

	while ((p = memchr(p, '\n', end - p))) {
		n++;
		p++;
	}
	return n;
}

/* Append n bytes to a growing buffer; -1 when out of memory. */
static int buf_append(char **buf, size_t *len, size_t *cap, const char *data, size_t n)
{
	if (*len + n > *cap) {
		size_t ncap = (*cap ? *cap * 2 : 65536) + n;
		char *nbuf = realloc(*buf, ncap);

		if (!nbuf)
			return -1;
		*buf = nbuf;
		*cap = ncap;
	}
	memcpy(*buf + *len, data, n);
	*len += n;
	return 0;
}

static int raw_mode(int fd)
{
	char chunk[65536];
	char *pending = NULL;   /* input not sent yet */
	size_t plen = 0, pcap = 0, poff = 0;
	unsigned long sent = 0, replies = 0;
	int input_open = 1, errors = 0;
	char last[6] = "";      /* start of the current reply line */
	size_t lastlen = 0;

	for (;;) {
		struct pollfd p[2] = {
			{ .fd = input_open ? 0 : -1, .events = POLLIN },
			{ .fd = fd, .events = 0 },
		};
		ssize_t n;
		int r;

		if (poff < plen)
			p[1].events |= POLLOUT;
		if (!input_open)
			p[1].events |= POLLIN;
		if (!input_open && poff == plen && replies == sent)
			return errors ? 1 : 0;
		r = poll(p, 2, input_open ? -1 : 30000);
		if (r < 0) {
			fprintf(stderr, "kvc: poll: %s\n", strerror(errno));
			return 3;
		}
		if (r == 0) {
			fprintf(stderr, "kvc: no progress for 30 s (%lu of %lu replies)\n",
				replies, sent);
			return 3;
		}
		if (p[0].revents) {
			n = read(0, chunk, sizeof chunk);
			if (n < 0) {
				fprintf(stderr, "kvc: reading input: %s\n", strerror(errno));
				return 3;
			}
			if (n == 0)
				input_open = 0;
			if (poff == plen)
				poff = plen = 0;
			if (buf_append(&pending, &plen, &pcap, chunk, n) < 0) {
				fprintf(stderr, "kvc: out of memory\n");
				return 3;
			}
			sent += count_lines(chunk, n);
		}
		if (p[1].revents & POLLOUT) {
			n = send(fd, pending + poff, plen - poff, MSG_NOSIGNAL | MSG_DONTWAIT);
			if (n < 0 && errno != EAGAIN) {
				fprintf(stderr, "kvc: sending: %s\n", strerror(errno));
				return 3;
			}
			if (n > 0)
				poff += n;
		}
		if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
			n = recv(fd, chunk, sizeof chunk, MSG_DONTWAIT);
			if (n == 0 || (n < 0 && errno != EAGAIN)) {
				fprintf(stderr, "kvc: connection closed after %lu of %lu replies\n",
					replies, sent);
				return 3;
			}
			for (ssize_t i = 0; i < n; i++) {
				if (chunk[i] == '\n') {
					replies++;
					errors += lastlen >= 5 && memcmp(last, "ERROR", 5) == 0;
					lastlen = 0;
				} else if (lastlen < 5) {
					last[lastlen++] = chunk[i];
				}
			}
			if (n > 0 && fwrite(chunk, 1, n, stdout) != (size_t)n) {
				fprintf(stderr, "kvc: writing output: %s\n", strerror(errno));
				return 3;
			}
		}
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "address", required_argument, NULL, 'a' },
		{ "port", required_argument, NULL, 'p' },
		{ "raw", no_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *addr = "127.0.0.1";
	int port = -1, opt, fd, errors = 0, i, raw = 0;
	char *end;

	while ((opt = getopt_long(argc, argv, "a:p:rh", opts, NULL)) != -1) {
		switch (opt) {
		case 'a':
			addr = optarg;
			break;
		case 'p':
			port = (int)strtol(optarg, &end, 10);
			if (*end || port <= 0 || port > 65535) {
				fprintf(stderr, "kvc: bad port '%s' (want 1..65535)\n", optarg);
				return 2;
			}
			break;
		case 'r':
			raw = 1;
			break;
		case 'h':
			printf("usage: kvc [--address A] --port N [--raw | REQUEST...]\n");
			return 0;
		default:
			fprintf(stderr, "usage: kvc [--address A] --port N [--raw | REQUEST...]\n");
			return 2;
		}
	}
	if (port < 0) {
		fprintf(stderr, "kvc: --port is required\n");
		return 2;
	}
	if (raw && optind < argc) {
		fprintf(stderr, "kvc: --raw reads its requests from standard input only\n");
		return 2;
	}
	/* A small receive buffer in --raw mode, so that unread replies pile
	 * up in kvd rather than in this host's socket buffers. */
	fd = connect_to(addr, port, raw ? 4096 : 0);
	if (raw)
		return raw_mode(fd);
	conn_in = fdopen(fd, "r");
	conn_out = fdopen(dup(fd), "w");
	if (!conn_in || !conn_out) {
		fprintf(stderr, "kvc: fdopen: %s\n", strerror(errno));
		return 3;
	}
	if (optind < argc) {
		for (i = optind; i < argc; i++)
			errors += request(argv[i]);
	} else {
		char *line = NULL;
		size_t cap = 0;
		ssize_t n;

		while ((n = getline(&line, &cap, stdin)) > 0) {
			if (line[n - 1] == '\n')
				line[n - 1] = '\0';
			errors += request(line);
		}
		free(line);
	}
	return errors ? 1 : 0;
}
