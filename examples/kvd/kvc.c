/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * kvc - send requests to kvd and print the replies.
 *
 *   kvc [--address A] --port N [REQUEST...]
 *
 * Each REQUEST argument is one line ("SET k v", "GET k", "STATS"); without
 * arguments, lines are read from standard input.  Every reply line is
 * printed on standard output.  Exit status: 0 all replies received, 1 a
 * reply was "ERROR ...", 2 usage, 3 connection or I/O failure.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static FILE *conn_in, *conn_out;

static int connect_to(const char *addr, int port)
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

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "address", required_argument, NULL, 'a' },
		{ "port", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *addr = "127.0.0.1";
	int port = -1, opt, fd, errors = 0, i;
	char *end;

	while ((opt = getopt_long(argc, argv, "a:p:h", opts, NULL)) != -1) {
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
		case 'h':
			printf("usage: kvc [--address A] --port N [REQUEST...]\n");
			return 0;
		default:
			fprintf(stderr, "usage: kvc [--address A] --port N [REQUEST...]\n");
			return 2;
		}
	}
	if (port < 0) {
		fprintf(stderr, "kvc: --port is required\n");
		return 2;
	}
	fd = connect_to(addr, port);
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
