/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * rebind - a key-value cache on libevent 2.1 listening on TCP, on a UNIX
 * socket and on UDP, whose startup has no guard at all: every start,
 * the new version's of an update too, creates its event base, removes a
 * stale UNIX socket path and binds its three sockets to the addresses its
 * configuration names (t/idioms/rebind.sh).  One request line, one reply
 * line, on a TCP or UNIX connection or as a datagram:
 *
 *   SET key value -> OK            GET key -> VALUE value | NONE
 *   DEL key       -> OK | NONE     VERSION -> VERSION REL
 *   VERIFY        -> VERIFY ok keys=n conns=n | VERIFY bad ...
 *   UPTIME        -> UPTIME seconds (a timerfd's ticks)
 *
 * The startup's timerfd is kept in a static only, like beanstalkd's epoll
 * instance: the transfer overwrites it with the old version's, and the
 * new startup's must be closed, not left open by every update.
 *
 * The loop is memcached's: the update point at the top of a loop around
 * event_base_loop(EVLOOP_ONCE), which stf_update_fd() wakes when an update
 * is requested, so a new version parks there before its loop runs once.
 *
 * One source, two releases (REL): release 2 counts the requests of each
 * connection in a new member of struct conn, and the datagrams served.
 *
 * Usage: rebind PORT-FILE.  The configuration: the TCP port in PORT-FILE,
 * the UDP port in PORT-FILE.udp, the UNIX socket at PORT-FILE.sock; a port
 * file that is missing asks for any free port, written there (the first
 * start of the test).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/event.h>
#include <event2/event_struct.h>

#include <stf.h>

#define STR(x) #x
#define XSTR(x) STR(x)
#define NBUCKETS 1024
#define INBUF 1024
#define OUTBUF 8192

struct item {
	struct item *next;   /* hash chain */
	char *key;
	char *value;
};

struct conn {
	struct conn *next;   /* all connections */
	int fd;
#if REL >= 2
	unsigned long requests;
#endif
	struct event rev;    /* readable: always pending */
	struct event wev;    /* writable: pending while output is left */
	size_t inlen, outlen;
	char in[INBUF];
	char out[OUTBUF];
};

static struct item *table[NBUCKETS];
static unsigned long nkeys;
static struct conn *conns;
static unsigned long accepted, closed;
#if REL >= 2
static unsigned long datagrams;
#endif
static struct event_base *base;
static struct event tcp_ev, unix_ev, udp_ev, update_ev;
static int clock_fd;          /* a timerfd ticking every second */
static unsigned long uptime;  /* its ticks read so far */

static void *xmalloc(size_t size)
{
	void *p = malloc(size);

	if (!p) {
		fprintf(stderr, "rebind: out of memory\n");
		abort();
	}
	return p;
}

static unsigned hash_key(const char *s)
{
	unsigned h = 5381;

	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h;
}

static struct item **find(const char *key)
{
	struct item **link = &table[hash_key(key) % NBUCKETS];

	while (*link && strcmp((*link)->key, key) != 0)
		link = &(*link)->next;
	return link;
}

static void set(const char *key, const char *value)
{
	struct item **link = find(key), *it = *link;

	if (it) {
		free(it->value);
	} else {
		it = xmalloc(sizeof *it);
		it->key = strdup(key);
		it->next = NULL;
		*link = it;
		nkeys++;
	}
	it->value = strdup(value);
}

static int del(const char *key)
{
	struct item **link = find(key), *it = *link;

	if (!it)
		return 0;
	*link = it->next;
	free(it->value);
	free(it->key);
	free(it);
	nkeys--;
	return 1;
}

static void on_read(evutil_socket_t fd, short what, void *arg);
static void on_write(evutil_socket_t fd, short what, void *arg);
static void on_accept(evutil_socket_t fd, short what, void *arg);
static void on_datagram(evutil_socket_t fd, short what, void *arg);

/* The event is set up as given and pending. */
static int event_is(const struct event *ev, evutil_socket_t fd, event_callback_fn cb, void *arg)
{
	return event_get_base(ev) == base && event_get_fd(ev) == fd &&
	       event_get_callback(ev) == cb && event_get_callback_arg(ev) == arg &&
	       event_pending(ev, EV_READ, NULL);
}

static const char *verify(unsigned long *nconns)
{
	static char why[160];
	unsigned long n = 0;

	for (unsigned b = 0; b < NBUCKETS; b++)
		for (const struct item *it = table[b]; it; it = it->next, n++)
			if (hash_key(it->key) % NBUCKETS != b) {
				snprintf(why, sizeof why, "item '%s' in bucket %u", it->key, b);
				return why;
			}
	if (n != nkeys)
		return "nkeys is not the number of items";
	*nconns = 0;
	for (const struct conn *c = conns; c; c = c->next, ++*nconns)
		if (!event_is(&c->rev, c->fd, on_read, (void *)c)) {
			snprintf(why, sizeof why, "events of the connection on descriptor %d", c->fd);
			return why;
		}
	if (*nconns != accepted - closed)
		return "connections counted wrong";
	if (!event_is(&tcp_ev, event_get_fd(&tcp_ev), on_accept, NULL) ||
	    !event_is(&unix_ev, event_get_fd(&unix_ev), on_accept, NULL) ||
	    !event_is(&udp_ev, event_get_fd(&udp_ev), on_datagram, NULL))
		return "a listener's event";
	return NULL;
}

/* The reply to one request line (modified in place), in out. */
static void answer(char *line, char *out, size_t size)
{
	char *arg = strchr(line, ' '), *rest = NULL;
	struct item *it;

	if (arg) {
		*arg++ = '\0';
		rest = strchr(arg, ' ');
		if (rest)
			*rest++ = '\0';
	}
	if (strcmp(line, "SET") == 0 && arg && rest) {
		set(arg, rest);
		snprintf(out, size, "OK\n");
	} else if (strcmp(line, "GET") == 0 && arg) {
		if ((it = *find(arg)))
			snprintf(out, size, "VALUE %s\n", it->value);
		else
			snprintf(out, size, "NONE\n");
	} else if (strcmp(line, "DEL") == 0 && arg) {
		snprintf(out, size, del(arg) ? "OK\n" : "NONE\n");
	} else if (strcmp(line, "VERSION") == 0) {
		snprintf(out, size, "VERSION " XSTR(REL) "\n");
	} else if (strcmp(line, "UPTIME") == 0) {
		uint64_t ticks;

		if (read(clock_fd, &ticks, sizeof ticks) == sizeof ticks)
			uptime += ticks;
		snprintf(out, size, fcntl(clock_fd, F_GETFD) < 0 ? "ERR clock closed\n" :
			 "UPTIME %lu\n", uptime);
	} else if (strcmp(line, "VERIFY") == 0) {
		unsigned long n;
		const char *why = verify(&n);

		if (why)
			snprintf(out, size, "VERIFY bad %s\n", why);
		else
			snprintf(out, size, "VERIFY ok keys=%lu conns=%lu\n", nkeys, n);
	} else {
		snprintf(out, size, "ERR bad request\n");
	}
}

static void conn_close(struct conn *c)
{
	struct conn **link = &conns;

	while (*link != c)
		link = &(*link)->next;
	*link = c->next;
	event_del(&c->rev);
	event_del(&c->wev);
	close(c->fd);
	free(c);
	closed++;
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	ssize_t n = recv(fd, c->in + c->inlen, sizeof c->in - c->inlen, 0);
	char *nl, out[INBUF + 16];

	(void)what;
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_close(c);
		return;
	}
	c->inlen += n;
	while ((nl = memchr(c->in, '\n', c->inlen))) {
		size_t used = nl + 1 - c->in, len;

		*nl = '\0';
#if REL >= 2
		c->requests++;
#endif
		answer(c->in, out, sizeof out);
		len = strlen(out);
		if (len <= sizeof c->out - c->outlen) { /* else the client reads no replies */
			memcpy(c->out + c->outlen, out, len);
			c->outlen += len;
		}
		memmove(c->in, nl + 1, c->inlen - used);
		c->inlen -= used;
	}
	on_write(fd, EV_WRITE, c);
	if (c->inlen == sizeof c->in)
		conn_close(c);
}

static void on_write(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	ssize_t n = send(fd, c->out, c->outlen, MSG_NOSIGNAL);

	(void)what;
	if (n > 0) {
		memmove(c->out, c->out + n, c->outlen - n);
		c->outlen -= n;
	}
	if (c->outlen)
		event_add(&c->wev, NULL);
	else
		event_del(&c->wev);
}

/* A connection on the TCP or the UNIX socket. */
static void on_accept(evutil_socket_t lfd, short what, void *arg)
{
	evutil_socket_t fd = accept(lfd, NULL, NULL);
	struct conn *c;

	(void)what, (void)arg;
	if (fd < 0)
		return;
	evutil_make_socket_nonblocking(fd);
	c = xmalloc(sizeof *c);
	c->fd = fd;
#if REL >= 2
	c->requests = 0;
#endif
	c->inlen = c->outlen = 0;
	event_assign(&c->rev, base, fd, EV_READ | EV_PERSIST, on_read, c);
	event_assign(&c->wev, base, fd, EV_WRITE | EV_PERSIST, on_write, c);
	event_add(&c->rev, NULL);
	c->next = conns;
	conns = c;
	accepted++;
}

static void on_datagram(evutil_socket_t fd, short what, void *arg)
{
	char in[INBUF], out[INBUF + 16];
	struct sockaddr_storage from;
	socklen_t len = sizeof from;
	ssize_t n = recvfrom(fd, in, sizeof in - 1, 0, (struct sockaddr *)&from, &len);

	(void)what, (void)arg;
	if (n <= 0)
		return;
	in[n] = '\0';
	in[strcspn(in, "\n")] = '\0';
	answer(in, out, sizeof out);
	sendto(fd, out, strlen(out), 0, (struct sockaddr *)&from, len);
#if REL >= 2
	datagrams++;
#endif
}

/* Readable while an update is requested: event_base_loop returns. */
static void on_update(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what, (void)arg;
}

/* The port the file names, 0 if there is none yet. */
static int configured_port(const char *file)
{
	FILE *f = fopen(file, "r");
	int port = 0;

	if (f) {
		if (fscanf(f, "%d", &port) != 1)
			port = 0;
		fclose(f);
	}
	return port;
}

/* A socket of `type` on 127.0.0.1 at the port the file names (written
 * there if it named none). */
static int inet_socket(int type, const char *port_file)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK),
				  .sin_port = htons(configured_port(port_file)) };
	socklen_t len = sizeof sa;
	int fd = socket(AF_INET, type, 0), one = 1;
	FILE *f;

	if (fd < 0 ||
	    (type == SOCK_STREAM && setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) ||
	    bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 128) < 0) ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0) {
		fprintf(stderr, "rebind: %s socket on port %d: %s\n",
			type == SOCK_STREAM ? "TCP" : "UDP", ntohs(sa.sin_port), strerror(errno));
		exit(1);
	}
	evutil_make_socket_nonblocking(fd);
	f = fopen(port_file, "w");
	if (!f || fprintf(f, "%d\n", ntohs(sa.sin_port)) < 0 || fclose(f) != 0) {
		perror(port_file);
		exit(1);
	}
	return fd;
}

/* The UNIX socket at path, a stale one removed first. */
static int unix_socket(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	unlink(path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(fd, 128) < 0) {
		fprintf(stderr, "rebind: UNIX socket %s: %s\n", path, strerror(errno));
		exit(1);
	}
	evutil_make_socket_nonblocking(fd);
	return fd;
}

int main(int argc, char **argv)
{
	char path[4096];

	if (argc != 2) {
		fprintf(stderr, "usage: rebind PORT-FILE\n");
		return 2;
	}
	base = event_base_new();
	if (!base) {
		fprintf(stderr, "rebind: event_base_new failed\n");
		return 1;
	}
	struct itimerspec second = { { 1, 0 }, { 1, 0 } };
	clock_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (clock_fd < 0 || timerfd_settime(clock_fd, 0, &second, NULL) < 0) {
		fprintf(stderr, "rebind: timerfd: %s\n", strerror(errno));
		return 1;
	}
	snprintf(path, sizeof path, "%s.udp", argv[1]);
	event_assign(&udp_ev, base, inet_socket(SOCK_DGRAM, path), EV_READ | EV_PERSIST,
		     on_datagram, NULL);
	snprintf(path, sizeof path, "%s.sock", argv[1]);
	event_assign(&unix_ev, base, unix_socket(path), EV_READ | EV_PERSIST, on_accept, NULL);
	event_assign(&tcp_ev, base, inet_socket(SOCK_STREAM, argv[1]), EV_READ | EV_PERSIST,
		     on_accept, NULL);
	event_assign(&update_ev, base, stf_update_fd(), EV_READ | EV_PERSIST, on_update, NULL);
	event_add(&udp_ev, NULL);
	event_add(&unix_ev, NULL);
	event_add(&tcp_ev, NULL);
	event_add(&update_ev, NULL);
	for (;;) {
		stf_update_point();
		event_base_loop(base, EVLOOP_ONCE);
	}
}
