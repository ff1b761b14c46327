/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * kvload - load generator and checker for kvd.
 *
 *   kvload [--address A] --port N fill  [--keys N] [--seed S] [--prefix P]
 *   kvload [--address A] --port N check [--keys N] [--seed S] [--prefix P]
 *   kvload [--address A] --port N run   [--conns C] [--keys K] [--duration D]
 *                                        [--timeout T] [--rate R] [--seed S]
 *                                        [--prefix P]
 *
 * fill stores keys P:0 .. P:N-1 with values derived from the seed; check
 * reads them back and compares every value.  run opens C connections, each
 * owning K keys (P:c:k, deleted first), and issues SET / GET / DEL
 * continuously (one request in flight per connection, R requests per
 * second over all of them) for D seconds or until SIGINT/SIGTERM, checking
 * every reply against what the connection stored before; at the end it
 * reads back every key it owns.  A failure is a wrong reply, a connection
 * error, or no reply within T seconds.
 *
 * Defaults: N = 1000, S = 1, P = "k", C = 8, K = 64, D = 0 (until a
 * signal), T = 30, R = 0 (no limit).
 *
 * Every mode prints one summary line and exits 0 when nothing failed, 1
 * when something did (the first failures are described on stderr), 2 on
 * usage errors, 3 when kvd cannot be reached at all.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define LINE_MAX_LEN 512   /* kvd's longest request line */
#define MAX_VALUE 200
#define REPORT_FIRST 10    /* failures described on stderr */

struct options {
	const char *addr;
	int port;
	const char *prefix;
	unsigned long keys;
	unsigned long seed;
	int conns;
	double duration;   /* 0 = until a signal */
	double timeout;
	double rate;       /* requests per second over all connections, 0 = no limit */
};

/* One key owned by a run-mode connection. */
struct key_state {
	char value[MAX_VALUE + 1];
	int present;    /* stored in kvd (value valid) */
	int unknown;    /* outcome of a request lost with its connection */
};

/* A run-mode connection: one request in flight at a time. */
struct client {
	int id;
	int fd;
	struct key_state *keys;
	unsigned long key;        /* key of the request in flight */
	char expect[MAX_VALUE + 16];
	int op;                   /* 'S', 'G', 'D' */
	int waiting;              /* a request is in flight */
	double sent_at;
	double next_at;           /* earliest time of the next request (--rate) */
	char in[LINE_MAX_LEN + 64];
	size_t inlen;
	unsigned long rng;
};

static struct options opt = {
	.addr = "127.0.0.1", .port = -1, .prefix = "k", .keys = 1000,
	.seed = 1, .conns = 8, .duration = 0, .timeout = 30, .rate = 0,
};
static volatile sig_atomic_t stop;
static unsigned long failures, requests;
static double max_latency;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void failure(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void failure(const char *fmt, ...)
{
	va_list ap;

	if (failures++ < REPORT_FIRST) {
		fputs("kvload: FAILURE: ", stderr);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	} else if (failures == REPORT_FIRST + 1) {
		fputs("kvload: (further failures only counted)\n", stderr);
	}
}

static unsigned long next_rand(unsigned long *state)
{
	*state = *state * 6364136223846793005UL + 1442695040888963407UL;
	return *state >> 33;
}

/* A value of 8..MAX_VALUE printable characters determined by its inputs. */
static void make_value(char *buf, unsigned long seed, unsigned long a, unsigned long b)
{
	unsigned long r = seed * 1000003UL ^ a * 7919UL ^ b * 104729UL;
	int len, n, i;

	next_rand(&r);
	len = 8 + (int)(next_rand(&r) % (MAX_VALUE - 8));
	n = snprintf(buf, MAX_VALUE + 1, "%lu.%lu.%lu:", seed, a, b);
	for (i = n; i < len; i++)
		buf[i] = 'a' + (char)(next_rand(&r) % 26);
	buf[i > n ? i : n] = '\0';
}

static int connect_to(int fatal)
{
	struct sockaddr_in sa;
	int fd, one = 1;

	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_port = htons(opt.port);
	if (inet_pton(AF_INET, opt.addr, &sa.sin_addr) != 1) {
		fprintf(stderr, "kvload: bad address '%s' (want a dotted IPv4 address)\n", opt.addr);
		exit(2);
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		if (fatal) {
			fprintf(stderr, "kvload: cannot connect to %s:%d: %s (is kvd running?)\n",
				opt.addr, opt.port, strerror(errno));
			exit(3);
		}
		if (fd >= 0)
			close(fd);
		return -1;
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return fd;
}

/* Write all of buf; -1 on error. */
static int send_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN) {
				struct pollfd p = { .fd = fd, .events = POLLOUT };

				poll(&p, 1, 100);
				continue;
			}
			return -1;
		}
		buf += n;
		len -= n;
	}
	return 0;
}

/*
 * Blocking request on fd: send line, wait at most opt.timeout for one reply
 * line (without newline) into reply.  0, or -1 with a reason in reply.
 */
static int sync_request(int fd, const char *line, char *reply, size_t cap)
{
	char buf[LINE_MAX_LEN + 64];
	size_t len = 0;
	double deadline = now() + opt.timeout, t0 = now();
	char *nl;

	if (send_all(fd, line, strlen(line)) < 0 || send_all(fd, "\n", 1) < 0) {
		snprintf(reply, cap, "send failed: %s", strerror(errno));
		return -1;
	}
	requests++;
	while (!(nl = memchr(buf, '\n', len))) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		double left = deadline - now();
		ssize_t n;

		if (left <= 0) {
			snprintf(reply, cap, "no reply within %.0f s", opt.timeout);
			return -1;
		}
		if (poll(&p, 1, (int)(left * 1000) + 1) < 0 && errno != EINTR) {
			snprintf(reply, cap, "poll: %s", strerror(errno));
			return -1;
		}
		if (!(p.revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		n = recv(fd, buf + len, sizeof buf - len, 0);
		if (n <= 0) {
			snprintf(reply, cap, "connection %s",
				 n == 0 ? "closed by kvd" : strerror(errno));
			return -1;
		}
		len += n;
		if (len == sizeof buf) {
			snprintf(reply, cap, "reply longer than %zu bytes", sizeof buf);
			return -1;
		}
	}
	*nl = '\0';
	if (nl != buf + len - 1) {
		snprintf(reply, cap, "unexpected data after the reply");
		return -1;
	}
	snprintf(reply, cap, "%s", buf);
	if (now() - t0 > max_latency)
		max_latency = now() - t0;
	return 0;
}

static int do_fill(void)
{
	char line[LINE_MAX_LEN], value[MAX_VALUE + 1], reply[LINE_MAX_LEN + 64];
	int fd = connect_to(1);
	unsigned long i;

	for (i = 0; i < opt.keys; i++) {
		make_value(value, opt.seed, i, 0);
		snprintf(line, sizeof line, "SET %s:%lu %s", opt.prefix, i, value);
		if (sync_request(fd, line, reply, sizeof reply) < 0) {
			failure("SET %s:%lu: %s", opt.prefix, i, reply);
			break;
		}
		if (strcmp(reply, "OK") != 0)
			failure("SET %s:%lu: reply '%s', expected 'OK'", opt.prefix, i, reply);
	}
	close(fd);
	printf("kvload fill: %lu keys stored under %s:*, seed %lu, %lu failures\n",
	       i, opt.prefix, opt.seed, failures);
	return failures ? 1 : 0;
}

static int do_check(void)
{
	char line[LINE_MAX_LEN], value[MAX_VALUE + 1], reply[LINE_MAX_LEN + 64];
	int fd = connect_to(1);
	unsigned long i, good = 0;

	for (i = 0; i < opt.keys; i++) {
		make_value(value, opt.seed, i, 0);
		snprintf(line, sizeof line, "GET %s:%lu", opt.prefix, i);
		if (sync_request(fd, line, reply, sizeof reply) < 0) {
			failure("GET %s:%lu: %s", opt.prefix, i, reply);
			break;
		}
		if (strncmp(reply, "VALUE ", 6) != 0 || strcmp(reply + 6, value) != 0)
			failure("GET %s:%lu: reply '%.60s', expected 'VALUE %.40s...'",
				opt.prefix, i, reply, value);
		else
			good++;
	}
	close(fd);
	printf("kvload check: %lu of %lu keys under %s:* intact (seed %lu), %lu failures\n",
	       good, opt.keys, opt.prefix, opt.seed, failures);
	return failures ? 1 : 0;
}

static void client_lost(struct client *c, const char *why)
{
	failure("connection %d: %s", c->id, why);
	if (c->waiting)
		c->keys[c->key].unknown = 1;
	c->waiting = 0;
	c->inlen = 0;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = connect_to(0);
}

/* Issue the next request of connection c. */
static void client_send(struct client *c)
{
	char line[LINE_MAX_LEN];
	struct key_state *k;
	unsigned long r = next_rand(&c->rng);

	c->key = r % opt.keys;
	k = &c->keys[c->key];
	r = (r >> 16) % 10;
	if (k->unknown || r < 4) {
		c->op = 'S';
		make_value(k->value, opt.seed + requests, (unsigned long)c->id, c->key);
		snprintf(line, sizeof line, "SET %s:%d:%lu %s\n", opt.prefix, c->id, c->key, k->value);
		strcpy(c->expect, "OK");
		k->present = 1;
		k->unknown = 0;
	} else if (r < 9) {
		c->op = 'G';
		snprintf(line, sizeof line, "GET %s:%d:%lu\n", opt.prefix, c->id, c->key);
		if (k->present)
			snprintf(c->expect, sizeof c->expect, "VALUE %s", k->value);
		else
			strcpy(c->expect, "NOT_FOUND");
	} else {
		c->op = 'D';
		snprintf(line, sizeof line, "DEL %s:%d:%lu\n", opt.prefix, c->id, c->key);
		strcpy(c->expect, k->present ? "DELETED" : "NOT_FOUND");
		k->present = 0;
	}
	c->waiting = 1;
	c->sent_at = now();
	requests++;
	if (send_all(c->fd, line, strlen(line)) < 0)
		client_lost(c, "send failed");
}

/* Read what arrived for c and check the reply when complete. */
static void client_receive(struct client *c)
{
	ssize_t n = recv(c->fd, c->in + c->inlen, sizeof c->in - c->inlen, 0);
	char *nl;
	double lat;

	if (n <= 0) {
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			return;
		client_lost(c, n == 0 ? "closed by kvd" : strerror(errno));
		return;
	}
	c->inlen += n;
	nl = memchr(c->in, '\n', c->inlen);
	if (!nl) {
		if (c->inlen == sizeof c->in)
			client_lost(c, "reply too long");
		return;
	}
	*nl = '\0';
	if (!c->waiting || nl != c->in + c->inlen - 1) {
		client_lost(c, "unsolicited data");
		return;
	}
	lat = now() - c->sent_at;
	if (lat > max_latency)
		max_latency = lat;
	if (strcmp(c->in, c->expect) != 0) {
		failure("connection %d: %c %s:%d:%lu: reply '%.60s', expected '%.60s'",
			c->id, c->op, opt.prefix, c->id, c->key, c->in, c->expect);
		c->keys[c->key].unknown = 1;
	}
	c->inlen = 0;
	c->waiting = 0;
	if (opt.rate > 0)
		c->next_at = c->sent_at + opt.conns / opt.rate;
}

/* Read back every key of every client; failures for each wrong one. */
static unsigned long final_check(struct client *clients)
{
	char line[LINE_MAX_LEN], expect[MAX_VALUE + 16], reply[LINE_MAX_LEN + 64];
	unsigned long checked = 0, k;
	int i;

	for (i = 0; i < opt.conns; i++) {
		struct client *c = &clients[i];

		if (c->fd < 0 && (c->fd = connect_to(0)) < 0) {
			failure("connection %d: cannot reconnect for the final check", i);
			continue;
		}
		for (k = 0; k < opt.keys; k++) {
			struct key_state *ks = &c->keys[k];

			if (ks->unknown)
				continue;   /* already counted as a failure */
			snprintf(line, sizeof line, "GET %s:%d:%lu", opt.prefix, i, k);
			if (ks->present)
				snprintf(expect, sizeof expect, "VALUE %s", ks->value);
			else
				strcpy(expect, "NOT_FOUND");
			if (sync_request(c->fd, line, reply, sizeof reply) < 0) {
				failure("final check %s:%d:%lu: %s", opt.prefix, i, k, reply);
				break;
			}
			if (strcmp(reply, expect) != 0)
				failure("final check %s:%d:%lu: reply '%.60s', expected '%.60s'",
					opt.prefix, i, k, reply, expect);
			checked++;
		}
	}
	return checked;
}

/* Start from a known state: delete every key a client owns. */
static void claim_keys(struct client *c)
{
	char line[LINE_MAX_LEN], reply[LINE_MAX_LEN + 64];
	unsigned long k;

	for (k = 0; k < opt.keys; k++) {
		snprintf(line, sizeof line, "DEL %s:%d:%lu", opt.prefix, c->id, k);
		if (sync_request(c->fd, line, reply, sizeof reply) < 0) {
			fprintf(stderr, "kvload: DEL %s:%d:%lu: %s\n", opt.prefix, c->id, k, reply);
			exit(3);
		}
		if (strcmp(reply, "DELETED") != 0 && strcmp(reply, "NOT_FOUND") != 0) {
			fprintf(stderr, "kvload: DEL %s:%d:%lu: unexpected reply '%.60s'\n",
				opt.prefix, c->id, k, reply);
			exit(3);
		}
	}
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int do_run(void)
{
	struct client *clients = calloc(opt.conns, sizeof *clients);
	struct pollfd *pfd = calloc(opt.conns, sizeof *pfd);
	struct sigaction sa;
	double start = now(), end = opt.duration > 0 ? start + opt.duration : 0;
	double elapsed;
	unsigned long checked;
	int i;

	if (!clients || !pfd) {
		fprintf(stderr, "kvload: out of memory\n");
		return 1;
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	for (i = 0; i < opt.conns; i++) {
		clients[i].id = i;
		clients[i].fd = connect_to(1);
		clients[i].rng = opt.seed * 31 + (unsigned long)i;
		clients[i].keys = calloc(opt.keys, sizeof *clients[i].keys);
		if (!clients[i].keys) {
			fprintf(stderr, "kvload: out of memory\n");
			return 1;
		}
		claim_keys(&clients[i]);
	}
	requests = 0;
	start = now();
	end = opt.duration > 0 ? start + opt.duration : 0;
	/* Stop issuing requests on a signal or at the end of the duration,
	 * then wait for the replies still in flight. */
	for (;;) {
		int inflight = 0, issuing = !stop && !(end && now() >= end);
		double t = now(), wake = t + 0.1;

		for (i = 0; i < opt.conns; i++) {
			struct client *c = &clients[i];

			if (c->fd < 0)
				c->fd = connect_to(0);
			if (c->fd >= 0 && !c->waiting && issuing) {
				if (c->next_at <= t)
					client_send(c);
				else if (c->next_at < wake)
					wake = c->next_at;
			}
			if (c->fd >= 0 && c->waiting && t - c->sent_at > opt.timeout) {
				char why[64];

				snprintf(why, sizeof why, "no reply within %.0f s", opt.timeout);
				client_lost(c, why);
			}
			pfd[i].fd = c->waiting ? c->fd : -1;
			pfd[i].events = POLLIN;
			inflight += c->waiting;
		}
		if (!issuing && !inflight)
			break;
		if (poll(pfd, opt.conns, (int)((wake - t) * 1000) + 1) < 0 && errno != EINTR) {
			perror("kvload: poll");
			return 1;
		}
		for (i = 0; i < opt.conns; i++)
			if (pfd[i].fd >= 0 && pfd[i].revents)
				client_receive(&clients[i]);
	}
	elapsed = now() - start;
	checked = final_check(clients);
	printf("kvload run: %d connections, %lu requests in %.1f s (%.0f/s), "
	       "max latency %.0f ms, final check of %lu keys, %lu failures\n",
	       opt.conns, requests, elapsed, requests / elapsed,
	       max_latency * 1000, checked, failures);
	return failures ? 1 : 0;
}

static void usage(FILE *out)
{
	fprintf(out,
		"usage: kvload [--address A] --port N fill|check [--keys N] [--seed S] [--prefix P]\n"
		"       kvload [--address A] --port N run [--conns C] [--keys K] [--duration D]\n"
		"                                         [--timeout T] [--rate R] [--seed S] [--prefix P]\n");
}

static double parse_number(const char *what, const char *s, double min, double max)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end || v < min || v > max) {
		fprintf(stderr, "kvload: bad %s '%s' (want a number from %g to %g)\n",
			what, s, min, max);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "address", required_argument, NULL, 'a' },
		{ "port", required_argument, NULL, 'p' },
		{ "keys", required_argument, NULL, 'k' },
		{ "seed", required_argument, NULL, 's' },
		{ "prefix", required_argument, NULL, 'x' },
		{ "conns", required_argument, NULL, 'c' },
		{ "duration", required_argument, NULL, 'd' },
		{ "timeout", required_argument, NULL, 't' },
		{ "rate", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *mode;
	int o, keys_given = 0;

	while ((o = getopt_long(argc, argv, "a:p:k:s:x:c:d:t:r:h", opts, NULL)) != -1) {
		switch (o) {
		case 'a': opt.addr = optarg; break;
		case 'p': opt.port = (int)parse_number("port", optarg, 1, 65535); break;
		case 'k':
			opt.keys = (unsigned long)parse_number("key count", optarg, 1, 1e7);
			keys_given = 1;
			break;
		case 's': opt.seed = (unsigned long)parse_number("seed", optarg, 0, 1e15); break;
		case 'x':
			if (!*optarg || strlen(optarg) > 64 || strpbrk(optarg, " \t\r\n")) {
				fprintf(stderr, "kvload: bad prefix '%s' (1..64 characters, no blanks)\n", optarg);
				return 2;
			}
			opt.prefix = optarg;
			break;
		case 'c': opt.conns = (int)parse_number("connection count", optarg, 1, 1000); break;
		case 'd': opt.duration = parse_number("duration", optarg, 0, 1e6); break;
		case 't': opt.timeout = parse_number("timeout", optarg, 0.1, 3600); break;
		case 'r': opt.rate = parse_number("rate", optarg, 0, 1e7); break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (opt.port < 0 || optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	mode = argv[optind];
	if (strcmp(mode, "fill") == 0)
		return do_fill();
	if (strcmp(mode, "check") == 0)
		return do_check();
	if (strcmp(mode, "run") == 0) {
		if (!keys_given)
			opt.keys = 64;
		if (opt.keys > 100000) {
			fprintf(stderr, "kvload: run mode keeps at most 100000 keys per connection\n");
			return 2;
		}
		return do_run();
	}
	fprintf(stderr, "kvload: unknown mode '%s' (want fill, check or run)\n", mode);
	usage(stderr);
	return 2;
}
