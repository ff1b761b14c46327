/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * kvd 1.2 - a small in-memory key-value server, third release of the
 * ttst example.  Single-threaded, epoll, one text line per request:
 *
 *   SET key value   -> OK            GET key   -> VALUE value | NOT_FOUND
 *   DEL key         -> DELETED | NOT_FOUND
 *   COUNT           -> COUNT n       STATS     -> STATS version=... k=v ...
 *   VERIFY          -> VERIFY ok entries=n bytes=n | VERIFY bad <what is wrong>
 *   INFO key        -> INFO key vlen=n hits=n | NOT_FOUND
 *
 * Changes of the state since 1.1: enum conn_state gained CONN_IDLE, in
 * front, so the numbers of the other states moved (ttst maps enumerators by
 * name); struct stats renamed its member misses to not_found, which ttst
 * cannot guess: stf_rename() tells it.  Since 1.0 (1.1's changes): struct
 * entry gained hits, widened vlen from int to long and reordered its
 * members; struct conn's input buffer grew from 512 to 1024 bytes; the new
 * counter value_bytes is computed from the transferred table by a
 * transformer.
 *
 * Built with -DKVD_BUG_FORGOT_RENAME this file is kvd-1.2-bad, the faulty
 * release of the demo: without the rename, the count of misses is silently
 * dropped by the update (a legal transfer: a member was removed, another
 * added), and only the round trip through the reversed version reveals it.
 *
 * Live update: the event loop calls stf_update_point() and the one-time
 * setup (socket, bind, listen, epoll) runs only when the process is not
 * being started as the new version of an update (stf_is_updating()).  The
 * listening and epoll descriptors are locals of main, which holds the
 * update point, so ttst transfers them with its frame (main's arguments
 * point into the process's own arguments, which the new version keeps).
 *
 * Every release of kvd lives in a file named kvd.c (in its own directory):
 * ttst identifies state by source file name, function and variable, as a
 * project's file keeps its name from one release to the next.
 */
#define _GNU_SOURCE   /* accept4 */
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stf.h>

#define KVD_VERSION "1.2"
#define NBUCKETS 4096      /* hash table size */
#define MAX_FDS 1024       /* connections are indexed by descriptor */
#define INBUF 1024         /* longest request line, newline included */
#define OUTBUF 8192        /* pending replies of one connection */
#define MAX_EVENTS 64

struct entry {
	unsigned int hash;
	char *key;
	struct entry *next;   /* hash chain */
	long vlen;
	char *value;
	unsigned long hits;   /* GETs that found this entry */
};

enum conn_state {
	CONN_IDLE,      /* nothing buffered in either direction */
	CONN_READING,   /* part of a request received */
	CONN_WRITING,   /* replies pending, waiting for the socket to drain */
};

struct conn {
	int fd;
	enum conn_state state;
	size_t inlen;         /* bytes buffered in in[] */
	char in[INBUF];
	size_t outoff;        /* first unsent byte of out[] */
	size_t outlen;        /* bytes in out[] */
	char out[OUTBUF];
	unsigned long requests;
};

struct stats {
	unsigned long sets;
	unsigned long gets;
	unsigned long dels;
	unsigned long not_found; /* GET, DEL or INFO of an absent key */
	unsigned long errors;   /* malformed requests */
	unsigned long accepted;
	unsigned long closed;
};

static struct entry *table[NBUCKETS];
static unsigned long nentries;
static struct conn *conns[MAX_FDS];
static struct stats stats;
static unsigned long value_bytes;   /* bytes of all values */

static void die(const char *what)
{
	fprintf(stderr, "kvd: %s: %s\n", what, strerror(errno));
	exit(1);
}

static unsigned int hash_key(const char *key)
{
	unsigned int h = 2166136261u;   /* FNV-1a */

	for (; *key; key++)
		h = (h ^ (unsigned char)*key) * 16777619u;
	return h;
}

static struct entry *lookup(const char *key, unsigned int h)
{
	struct entry *e;

	for (e = table[h % NBUCKETS]; e; e = e->next)
		if (e->hash == h && strcmp(e->key, key) == 0)
			return e;
	return NULL;
}

/* Store value (vlen bytes) under key; 0, or -1 when out of memory. */
static int put(const char *key, const char *value, long vlen)
{
	unsigned int h = hash_key(key);
	struct entry *e = lookup(key, h);
	char *copy;

	if (e) {
		copy = malloc(vlen + 1);
		if (!copy)
			return -1;
		memcpy(copy, value, vlen + 1);
		value_bytes += vlen - e->vlen;
		free(e->value);
		e->value = copy;
		e->vlen = vlen;
		return 0;
	}
	e = malloc(sizeof *e);
	if (!e)
		return -1;
	e->key = strdup(key);
	e->value = malloc(vlen + 1);
	if (!e->key || !e->value) {
		free(e->key);
		free(e->value);
		free(e);
		return -1;
	}
	memcpy(e->value, value, vlen + 1);
	e->vlen = vlen;
	e->hash = h;
	e->next = table[h % NBUCKETS];
	table[h % NBUCKETS] = e;
	nentries++;
	value_bytes += vlen;
	return 0;
}

static int del(const char *key)
{
	unsigned int h = hash_key(key);
	struct entry **link, *e;

	for (link = &table[h % NBUCKETS]; (e = *link); link = &e->next) {
		if (e->hash == h && strcmp(e->key, key) == 0) {
			*link = e->next;
			value_bytes -= e->vlen;
			free(e->key);
			free(e->value);
			free(e);
			nentries--;
			return 1;
		}
	}
	return 0;
}

/*
 * Check the hash table against itself: every entry in the bucket of its
 * hash, its hash that of its key, its length that of its value, and the
 * entry and byte counts right.  Writes a VERIFY reply line (without
 * newline) to buf.
 */
static void verify_table(char *buf, size_t len)
{
	unsigned long n = 0, bytes = 0, i;
	struct entry *e;

	for (i = 0; i < NBUCKETS; i++) {
		for (e = table[i]; e; e = e->next, n++) {
			if (e->hash != hash_key(e->key) || e->hash % NBUCKETS != i) {
				snprintf(buf, len, "VERIFY bad hash of '%.40s' in bucket %lu", e->key, i);
				return;
			}
			if ((size_t)e->vlen != strlen(e->value)) {
				snprintf(buf, len, "VERIFY bad length %ld of '%.40s'", e->vlen, e->key);
				return;
			}
			bytes += e->vlen;
		}
	}
	if (n != nentries)
		snprintf(buf, len, "VERIFY bad count: %lu entries, nentries %lu", n, nentries);
	else if (bytes != value_bytes)
		snprintf(buf, len, "VERIFY bad bytes: %lu in values, value_bytes %lu", bytes, value_bytes);
	else
		snprintf(buf, len, "VERIFY ok entries=%lu bytes=%lu", n, bytes);
}

/* Append a reply line; the caller made sure it fits. */
static void reply(struct conn *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void reply(struct conn *c, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(c->out + c->outlen, OUTBUF - c->outlen, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= OUTBUF - c->outlen)
		n = 0;   /* cannot happen: see conn_process() */
	c->outlen += n;
}

/* Execute one request line (NUL-terminated, without its newline). */
static void handle_line(struct conn *c, char *line)
{
	static unsigned long lines;   /* requests served since start */
	char *cmd, *key, *value, *save;

	lines++;
	c->requests++;
	cmd = strtok_r(line, " ", &save);
	if (!cmd) {
		stats.errors++;
		reply(c, "ERROR empty request\n");
		return;
	}
	if (strcmp(cmd, "SET") == 0) {
		key = strtok_r(NULL, " ", &save);
		value = strtok_r(NULL, "", &save);
		if (!key || !value) {
			stats.errors++;
			reply(c, "ERROR usage: SET key value\n");
			return;
		}
		stats.sets++;
		if (put(key, value, (long)strlen(value)) < 0)
			reply(c, "ERROR out of memory\n");
		else
			reply(c, "OK\n");
	} else if (strcmp(cmd, "GET") == 0) {
		struct entry *e;

		key = strtok_r(NULL, " ", &save);
		if (!key) {
			stats.errors++;
			reply(c, "ERROR usage: GET key\n");
			return;
		}
		stats.gets++;
		e = lookup(key, hash_key(key));
		if (e) {
			e->hits++;
			reply(c, "VALUE %s\n", e->value);
		} else {
			stats.not_found++;
			reply(c, "NOT_FOUND\n");
		}
	} else if (strcmp(cmd, "DEL") == 0) {
		key = strtok_r(NULL, " ", &save);
		if (!key) {
			stats.errors++;
			reply(c, "ERROR usage: DEL key\n");
			return;
		}
		stats.dels++;
		if (del(key)) {
			reply(c, "DELETED\n");
		} else {
			stats.not_found++;
			reply(c, "NOT_FOUND\n");
		}
	} else if (strcmp(cmd, "INFO") == 0) {
		struct entry *e;

		key = strtok_r(NULL, " ", &save);
		if (!key) {
			stats.errors++;
			reply(c, "ERROR usage: INFO key\n");
			return;
		}
		e = lookup(key, hash_key(key));
		if (e) {
			reply(c, "INFO %s vlen=%ld hits=%lu\n", e->key, e->vlen, e->hits);
		} else {
			stats.not_found++;
			reply(c, "NOT_FOUND\n");
		}
	} else if (strcmp(cmd, "COUNT") == 0) {
		reply(c, "COUNT %lu\n", nentries);
	} else if (strcmp(cmd, "VERIFY") == 0) {
		char result[128];

		verify_table(result, sizeof result);
		reply(c, "%s\n", result);
	} else if (strcmp(cmd, "STATS") == 0) {
		reply(c, "STATS version=" KVD_VERSION " entries=%lu bytes=%lu lines=%lu"
		      " sets=%lu gets=%lu dels=%lu not_found=%lu errors=%lu"
		      " accepted=%lu closed=%lu\n",
		      nentries, value_bytes, lines, stats.sets, stats.gets, stats.dels,
		      stats.not_found, stats.errors, stats.accepted, stats.closed);
	} else {
		stats.errors++;
		reply(c, "ERROR unknown command\n");
	}
}

static void conn_close(int efd, struct conn *c)
{
	epoll_ctl(efd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	conns[c->fd] = NULL;
	free(c);
	stats.closed++;
}

/* Watch for input, or for room to write while replies are pending. */
static void conn_set_state(int efd, struct conn *c, enum conn_state state)
{
	struct epoll_event ev;
	int was_writing = c->state == CONN_WRITING;

	c->state = state;
	if (was_writing == (state == CONN_WRITING))
		return;
	memset(&ev, 0, sizeof ev);
	ev.events = state == CONN_WRITING ? EPOLLOUT : EPOLLIN;
	ev.data.fd = c->fd;
	if (epoll_ctl(efd, EPOLL_CTL_MOD, c->fd, &ev) < 0)
		die("epoll_ctl MOD");
}

/* Send pending replies; -1 if the connection is gone. */
static int conn_flush(struct conn *c)
{
	while (c->outoff < c->outlen) {
		ssize_t n = write(c->fd, c->out + c->outoff, c->outlen - c->outoff);

		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (errno == EINTR)
				continue;
			return -1;
		}
		c->outoff += n;
	}
	c->outoff = c->outlen = 0;
	return 0;
}

/* Execute the complete lines in in[] while their replies fit in out[]. */
static int conn_process(struct conn *c)
{
	size_t start = 0;
	char *nl;

	while ((nl = memchr(c->in + start, '\n', c->inlen - start))) {
		if (OUTBUF - c->outlen < INBUF + 64)
			break;   /* resume when the client has read its replies */
		*nl = '\0';
		if (nl > c->in + start && nl[-1] == '\r')
			nl[-1] = '\0';
		handle_line(c, c->in + start);
		start = nl - c->in + 1;
	}
	memmove(c->in, c->in + start, c->inlen - start);
	c->inlen -= start;
	if (c->inlen == INBUF && !memchr(c->in, '\n', INBUF)) {
		stats.errors++;
		return -1;   /* a line longer than the buffer: drop the client */
	}
	return 0;
}

static void conn_event(int efd, struct conn *c, unsigned int events)
{
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		ssize_t n = read(c->fd, c->in + c->inlen, INBUF - c->inlen);

		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			conn_close(efd, c);
			return;
		}
		if (n > 0)
			c->inlen += n;
	}
	for (;;) {
		if (conn_process(c) < 0 || conn_flush(c) < 0) {
			conn_close(efd, c);
			return;
		}
		/* Replies still queued (socket full, or requests waiting for
		 * room): wait until the socket drains before reading more. */
		if (c->outlen > 0) {
			conn_set_state(efd, c, CONN_WRITING);
			return;
		}
		if (!memchr(c->in, '\n', c->inlen))
			break;
	}
	conn_set_state(efd, c, c->inlen ? CONN_READING : CONN_IDLE);
}

static void conn_new(int efd, int fd)
{
	struct epoll_event ev;
	struct conn *c;
	int one = 1;

	if (fd >= MAX_FDS) {
		close(fd);
		return;
	}
	c = calloc(1, sizeof *c);
	if (!c) {
		close(fd);
		return;
	}
	c->fd = fd;
	c->state = CONN_IDLE;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	memset(&ev, 0, sizeof ev);
	ev.events = EPOLLIN;
	ev.data.fd = fd;
	if (epoll_ctl(efd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		close(fd);
		free(c);
		return;
	}
	conns[fd] = c;
	stats.accepted++;
}

static int listen_on(const char *addr, int port, const char *port_file)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof sa;
	int fd, one = 1;

	/* Not close-on-exec: the next version inherits it in a live update. */
	fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons(port);
	if (inet_pton(AF_INET, addr, &sa.sin_addr) != 1) {
		fprintf(stderr, "kvd: bad address '%s' (want a dotted IPv4 address)\n", addr);
		exit(2);
	}
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0)
		die("bind");
	if (listen(fd, 128) < 0)
		die("listen");
	if (getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
		die("getsockname");
	fprintf(stderr, "kvd " KVD_VERSION ": listening on %s:%d\n",
		addr, ntohs(sa.sin_port));
	if (port_file) {
		FILE *f = fopen(port_file, "w");

		if (!f || fprintf(f, "%d\n", ntohs(sa.sin_port)) < 0 || fclose(f) != 0)
			die(port_file);
	}
	return fd;
}


/*
 * value_bytes is new in 1.1: when the state comes from 1.0, count what the
 * transferred table holds (ttst only zeroes a new variable).
 */
static int count_value_bytes(struct stf_xfer *x, void *arg)
{
	unsigned long i;
	struct entry *e;

	(void)x;
	(void)arg;
	value_bytes = 0;
	for (i = 0; i < NBUCKETS; i++)
		for (e = table[i]; e; e = e->next)
			value_bytes += e->vlen;
	return STF_CB_DONE;
}

/* What ttst cannot infer about the state changes of this release. */
static void register_transfer_rules(void)
{
	if (stf_on_transfer_done(STF_FORWARD, count_value_bytes, NULL) < 0) {
		fprintf(stderr, "kvd: cannot register the state transformer\n");
		exit(1);
	}
#ifndef KVD_BUG_FORGOT_RENAME
	if (stf_rename(STF_RENAME_MEMBER, "struct stats.misses", "not_found") < 0) {
		fprintf(stderr, "kvd: cannot register the rename of stats.misses\n");
		exit(1);
	}
#endif
}

static void usage(FILE *out)
{
	fprintf(out, "usage: kvd [--address A] [--port N] [--port-file PATH]\n"
		"  --address A       IPv4 address to listen on (default 127.0.0.1)\n"
		"  --port N          TCP port (default 7000; 0 = any free port)\n"
		"  --port-file PATH  write the port number there once listening\n");
}

int main(int argc, char **argv)
{
	const struct option opts[] = {
		{ "address", required_argument, NULL, 'a' },
		{ "port", required_argument, NULL, 'p' },
		{ "port-file", required_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *addr = "127.0.0.1", *port_file = NULL;
	int port = 7000, opt, lfd = -1, efd = -1;
	char *end = NULL;   /* a local at the update point: never garbage */

	while ((opt = getopt_long(argc, argv, "a:p:f:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'a':
			addr = optarg;
			break;
		case 'p':
			port = (int)strtol(optarg, &end, 10);
			if (*end || port < 0 || port > 65535) {
				fprintf(stderr, "kvd: bad port '%s' (want 0..65535)\n", optarg);
				return 2;
			}
			break;
		case 'f':
			port_file = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "kvd: unexpected argument '%s'\n", argv[optind]);
		usage(stderr);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);   /* a vanished client is not fatal */
	register_transfer_rules();
	/* One-time setup, skipped when this process starts as the new version
	 * of a live update: it inherits the descriptors and receives their
	 * numbers with main's frame at the update point. */
	if (!stf_is_updating()) {
		struct epoll_event ev;

		lfd = listen_on(addr, port, port_file);
		efd = epoll_create1(0);   /* inherited too: not close-on-exec */
		if (efd < 0)
			die("epoll_create1");
		memset(&ev, 0, sizeof ev);
		ev.events = EPOLLIN;
		ev.data.fd = lfd;
		if (epoll_ctl(efd, EPOLL_CTL_ADD, lfd, &ev) < 0)
			die("epoll_ctl ADD");
	}
	/* The event loop.  The locals of main are part of the state ttst
	 * transfers: in the new version of a live update, lfd and efd arrive
	 * with the values they had in the old one. */
	for (;;) {
		stf_update_point();
		{
			struct epoll_event events[MAX_EVENTS];
			int i, n = epoll_wait(efd, events, MAX_EVENTS, -1);

			if (n < 0) {
				if (errno == EINTR)
					continue;
				die("epoll_wait");
			}
			for (i = 0; i < n; i++) {
				int fd = events[i].data.fd;

				if (fd == lfd) {
					int cfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);

					if (cfd >= 0)
						conn_new(efd, cfd);
				} else if (fd >= 0 && fd < MAX_FDS && conns[fd]) {
					conn_event(efd, conns[fd], events[i].events);
				}
			}
		}
	}
}
