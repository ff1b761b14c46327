/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * port-listener.h - shared by the idiom servers: their listening socket,
 * on the loopback address at a port the kernel picks, which the server
 * writes to the file its test script (lib.sh) reads it from.  What each
 * server does with its connections stays in the server.
 */
#ifndef PORT_LISTENER_H
#define PORT_LISTENER_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>

/* A TCP socket of TYPE (SOCK_STREAM, maybe with SOCK_NONBLOCK) listening
 * on 127.0.0.1, its port written to PORT_FILE; a failure ends the
 * program, named WHO. */
static inline int listen_loopback(const char *who, int type, const char *port_file)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof sa;
	int fd = socket(AF_INET, type, 0);
	FILE *f;

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 128) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
		fprintf(stderr, "%s: listen: ", who);
		perror(NULL);
		exit(1);
	}
	f = fopen(port_file, "w");
	if (!f || fprintf(f, "%d\n", ntohs(sa.sin_port)) < 0 || fclose(f) != 0) {
		perror(port_file);
		exit(1);
	}
	return fd;
}

#endif
