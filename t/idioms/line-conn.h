/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * line-conn.h - shared by the idiom servers that speak one command a line
 * (aprd, keyd): the reply written to a connection and the reader cutting
 * what it received into lines.  Included after the server's struct conn,
 * whose `fd` member is the connection's socket; where the connection and
 * its input buffer live stays the server's.
 */
#ifndef LINE_CONN_H
#define LINE_CONN_H

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void reply(struct conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* One reply line, written whole (the client waits for it). */
static void reply(struct conn *c, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (write(c->fd, buf, (size_t)n) != n)
		fprintf(stderr, "%s: short write\n", program_invocation_short_name);
}

/* Reads what c's socket holds after the *inlen bytes of in (cap bytes),
 * running command on each complete line (its newline cut); a line that
 * fills the buffer is refused.  -1 when the peer closed or the read
 * failed: the caller drops the connection. */
static int read_lines(struct conn *c, char *in, size_t *inlen, size_t cap,
		      void (*command)(struct conn *, char *))
{
	ssize_t n = read(c->fd, in + *inlen, cap - 1 - *inlen);
	char *nl;
	size_t used;

	if (n <= 0)
		return n < 0 && errno == EAGAIN ? 0 : -1;
	*inlen += (size_t)n;
	while ((nl = memchr(in, '\n', *inlen))) {
		*nl = 0;
		command(c, in);
		used = (size_t)(nl - in) + 1;
		memmove(in, nl + 1, *inlen - used);
		*inlen -= used;
	}
	if (*inlen == cap - 1) {
		reply(c, "ERROR too long\n");
		*inlen = 0;
	}
	return 0;
}

#endif
