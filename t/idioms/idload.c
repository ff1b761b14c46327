/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * idload - checking client and load generator shared by the idiom test
 * servers (t/idioms: evkv, sizehdr, pool, slab, cmdtab).  They all speak
 * the same line protocol, one reply line per request:
 *
 *   SET key value  -> OK           GET key -> VALUE value | NONE
 *   DEL key        -> OK | NONE    VERIFY  -> VERIFY ok ... | VERIFY bad ...
 *   VERSION        -> VERSION text (and requests of their own)
 *
 *   idload --port N send LINE...          each LINE, its reply printed
 *   idload --port N fill PREFIX COUNT     SET PREFIX<i> to fill_value(i)
 *   idload --port N check PREFIX COUNT    GET PREFIX<i>: fill_value(i)
 *   idload --port N [--conns C] [--pause-us P] run PREFIX
 *
 * run starts C connections (default 4), one thread each.  Thread t owns
 * the keys PREFIX<t>-<j> (j < 64) and keeps its own copy of what the
 * server must hold for them; until SIGTERM or SIGINT it sets them (to
 * texts and to numbers, alternately), reads them and deletes them at
 * random, and checks every reply against its copy.  On the signal each
 * thread reads all its keys once more.  A connection closed by the server,
 * a reply later than --timeout seconds (default 30) or a wrong reply is a
 * failure; a thread whose connection failed stops (every later request on
 * it would only wait out the timeout again).  On SIGUSR1 (sent after each
 * update) each thread prints "idload: connection T answered after mark M"
 * at its next reply, M counting the signals: a connection the update
 * broke never says it.  run prints "idload: N requests, M failed" and
 * exits 0 when nothing failed, 1 otherwise (2 on usage errors); so do
 * fill and check.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define KEYS_PER_THREAD 64
#define MAX_CONNS 32
#define MAX_REPORTED 20   /* failures printed; all are counted */

struct conn {
	int fd;
	size_t len;            /* bytes in buf */
	char buf[4096];
};

static int port;
static int timeout_s = 30;
static int pause_us = 200;
static atomic_int stop;
static atomic_int mark;   /* SIGUSR1s received */
static atomic_long requests, failures;

static void failure(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void failure(const char *fmt, ...)
{
	va_list ap;

	if (atomic_fetch_add(&failures, 1) >= MAX_REPORTED)
		return;
	va_start(ap, fmt);
	fputs("idload: FAILED: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static int conn_open(struct conn *c)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct timeval tv = { .tv_sec = timeout_s };
	int one = 1;

	c->len = 0;
	c->fd = socket(AF_INET, SOCK_STREAM, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		fprintf(stderr, "idload: connect to port %d: %s\n", port, strerror(errno));
		return -1;
	}
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	return 0;
}

/* Send LINE (without newline), read the reply line into reply; -1 (and a
 * counted failure) when the connection fails or the reply is late. */
static int request(struct conn *c, const char *line, char *reply, size_t size)
{
	char out[512];
	int n = snprintf(out, sizeof out, "%s\n", line);
	char *nl;

	atomic_fetch_add(&requests, 1);
	if (send(c->fd, out, n, MSG_NOSIGNAL) != n) {
		failure("'%s': send: %s", line, strerror(errno));
		return -1;
	}
	while (!(nl = memchr(c->buf, '\n', c->len))) {
		ssize_t r = c->len < sizeof c->buf ?
			recv(c->fd, c->buf + c->len, sizeof c->buf - c->len, 0) : -1;

		if (r <= 0) {
			failure("'%s': %s", line, r == 0 ? "connection closed by the server" :
				errno == EAGAIN ? "no reply in time" : strerror(errno));
			return -1;
		}
		c->len += r;
	}
	*nl = '\0';
	snprintf(reply, size, "%s", c->buf);
	c->len -= nl + 1 - c->buf;
	memmove(c->buf, nl + 1, c->len);
	return 0;
}

/* Check that LINE gets exactly WANT; -1 when the connection failed. */
static int expect(struct conn *c, const char *line, const char *want)
{
	char reply[512];

	if (request(c, line, reply, sizeof reply) < 0)
		return -1;
	if (strcmp(reply, want) != 0)
		failure("'%s': got '%s', expected '%s'", line, reply, want);
	return 0;
}

/* What fill stores in key i: a number or a text, alternately (servers may
 * keep the two differently). */
static void fill_value(const char *prefix, long i, char *out, size_t size)
{
	if (i % 2)
		snprintf(out, size, "%ld", i * 7919);
	else
		snprintf(out, size, "text-%s-%ld", prefix, i);
}

static int fill_or_check(const char *prefix, long count, int fill)
{
	char line[256], value[128], want[160];
	struct conn c;

	if (conn_open(&c) < 0)
		return 1;
	for (long i = 0; i < count; i++) {
		fill_value(prefix, i, value, sizeof value);
		if (fill) {
			snprintf(line, sizeof line, "SET %s%ld %s", prefix, i, value);
			expect(&c, line, "OK");
		} else {
			snprintf(line, sizeof line, "GET %s%ld", prefix, i);
			snprintf(want, sizeof want, "VALUE %s", value);
			expect(&c, line, want);
		}
	}
	close(c.fd);
	if (failures)
		fprintf(stderr, "idload: %s %s: %ld of %ld keys wrong\n", fill ? "fill" : "check",
			prefix, (long)failures, count);
	return failures != 0;
}

struct worker {
	pthread_t thread;
	int index;
	const char *prefix;
	unsigned seed;
	char model[KEYS_PER_THREAD][32];   /* "" = no such key */
};

static void *work(void *arg)
{
	struct worker *w = arg;
	char line[256], reply[512], want[64];
	unsigned long gen = 0;
	int seen = 0, broken = 0;
	struct conn c;

	if (conn_open(&c) < 0) {
		failure("thread %d cannot connect", w->index);
		return NULL;
	}
	while (!stop) {
		int j = rand_r(&w->seed) % KEYS_PER_THREAD, op = rand_r(&w->seed) % 4;
		char *m = w->model[j];

		if (op <= 1) {
			gen++;
			if (gen % 2)
				snprintf(m, sizeof w->model[j], "%lu", gen * 31 + w->index);
			else
				snprintf(m, sizeof w->model[j], "v%d-%lu", w->index, gen);
			snprintf(line, sizeof line, "SET %s%d-%d %s", w->prefix, w->index, j, m);
			broken = expect(&c, line, "OK") < 0;
		} else if (op == 2) {
			snprintf(line, sizeof line, "GET %s%d-%d", w->prefix, w->index, j);
			snprintf(want, sizeof want, *m ? "VALUE %s" : "NONE", m);
			broken = expect(&c, line, want) < 0;
		} else {
			snprintf(line, sizeof line, "DEL %s%d-%d", w->prefix, w->index, j);
			broken = expect(&c, line, *m ? "OK" : "NONE") < 0;
			*m = '\0';
		}
		if (broken)
			break;
		if (seen != mark) {
			seen = mark;
			printf("idload: connection %d answered after mark %d\n", w->index, seen);
			fflush(stdout);
		}
		if (pause_us)
			usleep(pause_us);
	}
	for (int j = 0; j < KEYS_PER_THREAD && !broken; j++) {
		snprintf(line, sizeof line, "GET %s%d-%d", w->prefix, w->index, j);
		snprintf(want, sizeof want, *w->model[j] ? "VALUE %s" : "NONE", w->model[j]);
		if (request(&c, line, reply, sizeof reply) < 0)
			break;
		if (strcmp(reply, want) != 0)
			failure("at the end: '%s': got '%s', expected '%s'", line, reply, want);
	}
	close(c.fd);
	return NULL;
}

static void on_signal(int sig)
{
	if (sig == SIGUSR1)
		mark++;
	else
		stop = 1;
}

static int run(const char *prefix, int conns)
{
	static struct worker workers[MAX_CONNS];
	struct sigaction sa = { .sa_handler = on_signal };

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	for (int i = 0; i < conns; i++) {
		workers[i].index = i;
		workers[i].prefix = prefix;
		workers[i].seed = 1234 + i;
		if (pthread_create(&workers[i].thread, NULL, work, &workers[i]) != 0) {
			fprintf(stderr, "idload: pthread_create failed\n");
			return 1;
		}
	}
	printf("idload: %d connections running\n", conns);
	fflush(stdout);
	for (int i = 0; i < conns; i++)
		pthread_join(workers[i].thread, NULL);
	printf("idload: %ld requests, %ld failed\n", (long)requests, (long)failures);
	return failures != 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: idload --port N [--timeout S] send LINE...\n"
		"       idload --port N fill|check PREFIX COUNT\n"
		"       idload --port N [--conns C] [--pause-us P] run PREFIX\n");
	return 2;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "timeout", required_argument, NULL, 't' },
		{ "conns", required_argument, NULL, 'c' },
		{ "pause-us", required_argument, NULL, 'u' },
		{ NULL, 0, NULL, 0 },
	};
	int conns = 4, opt;

	while ((opt = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (opt) {
		case 'p': port = atoi(optarg); break;
		case 't': timeout_s = atoi(optarg); break;
		case 'c': conns = atoi(optarg); break;
		case 'u': pause_us = atoi(optarg); break;
		default: return usage();
		}
	}
	if (port <= 0 || optind >= argc || conns < 1 || conns > MAX_CONNS)
		return usage();
	if (strcmp(argv[optind], "send") == 0) {
		char reply[4096];
		struct conn c;

		if (conn_open(&c) < 0)
			return 1;
		for (int i = optind + 1; i < argc; i++)
			if (request(&c, argv[i], reply, sizeof reply) == 0)
				printf("%s\n", reply);
		return failures != 0;
	}
	if ((strcmp(argv[optind], "fill") == 0 || strcmp(argv[optind], "check") == 0) &&
	    optind + 3 == argc)
		return fill_or_check(argv[optind + 1], atol(argv[optind + 2]),
				     argv[optind][0] == 'f');
	if (strcmp(argv[optind], "run") == 0 && optind + 2 == argc)
		return run(argv[optind + 1], conns);
	return usage();
}
