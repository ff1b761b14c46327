/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * chatload - checking client and load generator for chatd (t/live/chatd).
 *
 *   chatload --port N [--clients C] [--pause-ms P] [--timeout T] run
 *   chatload --port N [--timeout T] send LINE...
 *   chatload --port N [--timeout T] hold LINE...
 *
 * run starts C clients (default 6), one thread each.  Client i takes the
 * nickname u<i>, joins room<i % 2> and lobby, then until SIGTERM or SIGINT
 * publishes m<i>_<k> alternately in its two channels, sets a short timer
 * t<i>_<k> every 8th round and sends PING every 16th, pausing P
 * milliseconds (default 2) between rounds.  It checks everything it
 * receives:
 *   - every request gets its reply: OK, OK seq, PONG n;
 *   - the messages of each channel arrive numbered without a gap or a
 *     repeat, and PUB's own seq is the next one;
 *   - every message comes from the client its text names (nicknames and
 *     texts intact), and the client's own message comes back with the seq
 *     its PUB got, before the reply to its next request;
 *   - PING reports exactly the number of requests the client sent (chatd's
 *     per-client counter);
 *   - every timer fires exactly once, not before its delay.
 * On the signal each client waits (with PINGs) until its timers have fired.
 * Once every client has joined, run prints "chatload: C clients ready".
 *
 * send sends each LINE as one request and prints its reply (messages and
 * timers that arrive in between are skipped).  hold does the same, then
 * keeps the connection (and what chatd holds for it: nickname, channels,
 * timers) open until chatd closes it or a signal ends chatload.
 *
 * A reply that takes more than T seconds (default 30) is a failure.  Both
 * modes print a summary or the failures on stderr and exit 0 when nothing
 * failed, 1 otherwise, 2 on usage errors.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
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

#define MAX_CLIENTS 64
#define MAX_TIMERS 16        /* timers of one client not fired yet */
#define DRAIN_SECONDS 10.0   /* after the signal, for the last timers */

struct options {
	int port;
	int clients;
	int pause_ms;
	int timeout;   /* seconds */
};

struct pending_timer {
	unsigned long round;   /* the k of its text t<i>_<k> */
	long delay_ms;
	double set_at;         /* seconds, CLOCK_MONOTONIC */
};

/* One client of run (one thread), or the connection of send. */
struct client {
	int id;
	int fd;
	char nick[16];
	char channel[2][16];
	unsigned long last_seq[2];   /* of the last message of each channel */
	int echo_channel;            /* own message still to come back, -1: none */
	unsigned long echo_seq, echo_round;
	struct pending_timer timers[MAX_TIMERS];
	int ntimers;
	unsigned long long requests;
	unsigned long published, messages, timers_fired;
	int failed;
	size_t inlen;
	char in[4096];
};

static struct options opt = { .clients = 6, .pause_ms = 2, .timeout = 30 };
static atomic_int stopping;
static pthread_barrier_t all_joined;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Report a failure of the client; always -1. */
static int failure(struct client *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int failure(struct client *c, const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	if (c->id < 0)
		fprintf(stderr, "chatload: %s\n", why);
	else
		fprintf(stderr, "chatload: client %d: %s\n", c->id, why);
	c->failed = 1;
	return -1;
}

static int connect_to_chatd(struct client *c)
{
	struct sockaddr_in sa = {
		.sin_family = AF_INET,
		.sin_port = htons(opt.port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	struct timeval tv = { .tv_sec = opt.timeout };

	c->fd = socket(AF_INET, SOCK_STREAM, 0);
	if (c->fd < 0 || setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0 ||
	    connect(c->fd, (struct sockaddr *)&sa, sizeof sa) < 0)
		return failure(c, "cannot connect to port %d: %s", opt.port, strerror(errno));
	return 0;
}

/* Next line from chatd, without its newline, in line (of size cap). */
static int read_line(struct client *c, char *line, size_t cap)
{
	for (;;) {
		char *nl = memchr(c->in, '\n', c->inlen);
		ssize_t n;

		if (nl) {
			size_t len = nl - c->in;

			if (len >= cap)
				return failure(c, "line of %zu bytes", len);
			memcpy(line, c->in, len);
			line[len] = '\0';
			c->inlen -= len + 1;
			memmove(c->in, nl + 1, c->inlen);
			return 0;
		}
		if (c->inlen == sizeof c->in)
			return failure(c, "line longer than %zu bytes", sizeof c->in);
		n = read(c->fd, c->in + c->inlen, sizeof c->in - c->inlen);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return failure(c, "no reply within %d s", opt.timeout);
		if (n <= 0)
			return failure(c, "connection %s", n ? strerror(errno) : "closed by chatd");
		c->inlen += n;
	}
}

/* MSG channel seq nick text: in order, from whom it says, own ones expected. */
static int check_message(struct client *c, const char *line)
{
	char channel[32], nick[32], text[64];
	unsigned long seq, round;
	int ch, end = 0, sender, author;

	if (sscanf(line, "MSG %31s %lu %31s %63s%n", channel, &seq, nick, text, &end) != 4 ||
	    line[end])
		return failure(c, "malformed message '%s'", line);
	for (ch = 0; ch < 2 && strcmp(channel, c->channel[ch]); ch++)
		;
	if (ch == 2)
		return failure(c, "message of channel %s, not joined", channel);
	if (seq != c->last_seq[ch] + 1)
		return failure(c, "%s: message %lu after %lu", channel, seq, c->last_seq[ch]);
	c->last_seq[ch] = seq;
	if (sscanf(nick, "u%d%n", &sender, &end) != 1 || nick[end] ||
	    sscanf(text, "m%d_%lu%n", &author, &round, &end) != 2 || text[end] || sender != author)
		return failure(c, "%s: message %lu from %s reads '%s'", channel, seq, nick, text);
	if (sender == c->id) {
		if (c->echo_channel != ch || c->echo_seq != seq || c->echo_round != round)
			return failure(c, "%s: own message %lu '%s' unexpected", channel, seq, text);
		c->echo_channel = -1;
	}
	c->messages++;
	return 0;
}

/* TIMER t<id>_<k>: one of ours, once, not early. */
static int check_timer(struct client *c, const char *line)
{
	double elapsed_ms;
	unsigned long round;
	int id, end = 0, i;

	if (sscanf(line, "TIMER t%d_%lu%n", &id, &round, &end) != 2 || line[end] || id != c->id)
		return failure(c, "unexpected '%s'", line);
	for (i = 0; i < c->ntimers && c->timers[i].round != round; i++)
		;
	if (i == c->ntimers)
		return failure(c, "timer t%d_%lu fired but is not pending", id, round);
	elapsed_ms = (now() - c->timers[i].set_at) * 1000;
	/* chatd counts whole milliseconds: it may fire up to 1 ms early. */
	if (elapsed_ms + 2 < c->timers[i].delay_ms)
		return failure(c, "timer t%d_%lu of %ld ms fired after %.1f ms", id, round,
				c->timers[i].delay_ms, elapsed_ms);
	c->timers[i] = c->timers[--c->ntimers];
	c->timers_fired++;
	return 0;
}

/*
 * Send one request line and read its reply into reply (of size cap),
 * checking the messages and timers that arrive before it.
 */
static int request(struct client *c, char *reply, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int request(struct client *c, char *reply, size_t cap, const char *fmt, ...)
{
	/* Our own message is queued right after the reply to its PUB, so it
	 * precedes the reply to the next request. */
	int echo_due = c->echo_channel >= 0;
	char line[1100];
	size_t len, off;
	va_list ap;

	va_start(ap, fmt);
	len = vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	if (len >= sizeof line - 1)
		return failure(c, "request too long");
	line[len++] = '\n';
	for (off = 0; off < len;) {
		ssize_t n = send(c->fd, line + off, len - off, MSG_NOSIGNAL);

		if (n < 0 && errno != EINTR)
			return failure(c, "send: %s", strerror(errno));
		off += n > 0 ? n : 0;
	}
	c->requests++;
	for (;;) {
		if (read_line(c, reply, cap) < 0)
			return -1;
		if (strncmp(reply, "MSG ", 4) && strncmp(reply, "TIMER ", 6))
			break;
		if (c->id < 0)   /* send does not check what it did not ask for */
			continue;
		if ((reply[0] == 'M' ? check_message(c, reply) : check_timer(c, reply)) < 0)
			return -1;
	}
	if (echo_due && c->echo_channel >= 0)
		return failure(c, "own message %lu of %s did not come back", c->echo_seq,
			       c->channel[c->echo_channel]);
	return 0;
}

static int expect_ok(struct client *c, const char *what, const char *reply)
{
	return strcmp(reply, "OK") == 0 ? 0 : failure(c, "%s: '%s'", what, reply);
}

static int join_channels(struct client *c)
{
	char reply[256];

	snprintf(c->nick, sizeof c->nick, "u%d", c->id);
	snprintf(c->channel[0], sizeof c->channel[0], "room%d", c->id % 2);
	snprintf(c->channel[1], sizeof c->channel[1], "lobby");
	if (connect_to_chatd(c) < 0 ||
	    request(c, reply, sizeof reply, "NICK %s", c->nick) < 0 || expect_ok(c, "NICK", reply) < 0)
		return -1;
	for (int ch = 0; ch < 2; ch++)
		if (request(c, reply, sizeof reply, "JOIN %s", c->channel[ch]) < 0 ||
		    sscanf(reply, "OK %lu", &c->last_seq[ch]) != 1)
			return c->failed ? -1 : failure(c, "JOIN %s: '%s'", c->channel[ch], reply);
	return 0;
}

static int ping(struct client *c)
{
	char reply[256];
	unsigned long long counted;

	if (request(c, reply, sizeof reply, "PING") < 0)
		return -1;
	if (sscanf(reply, "PONG %llu", &counted) != 1)
		return failure(c, "PING: '%s'", reply);
	if (counted != c->requests)
		return failure(c, "chatd counted %llu requests of this client, it sent %llu",
			       counted, c->requests);
	return 0;
}

static int one_round(struct client *c, unsigned long round)
{
	int ch = round % 2;
	unsigned long seq;
	char reply[256];

	if (round % 8 == 0 && c->ntimers < MAX_TIMERS) {
		struct pending_timer *t = &c->timers[c->ntimers++];

		t->round = round;
		t->delay_ms = 5 + (round * 7) % 50;
		t->set_at = now();
		if (request(c, reply, sizeof reply, "TIMER %ld t%d_%lu", t->delay_ms, c->id, round) < 0 ||
		    expect_ok(c, "TIMER", reply) < 0)
			return -1;
	}
	if (round % 16 == 0 && ping(c) < 0)
		return -1;
	if (request(c, reply, sizeof reply, "PUB %s m%d_%lu", c->channel[ch], c->id, round) < 0)
		return -1;
	if (sscanf(reply, "OK %lu", &seq) != 1)
		return failure(c, "PUB: '%s'", reply);
	/* Every earlier message of the channel was queued before this reply. */
	if (seq != c->last_seq[ch] + 1)
		return failure(c, "PUB in %s got seq %lu, last message was %lu",
			       c->channel[ch], seq, c->last_seq[ch]);
	c->published++;
	c->echo_channel = ch;
	c->echo_seq = seq;
	c->echo_round = round;
	return 0;
}

/* After the signal: PING until every timer fired (the first PING also
 * checks that the last own message came back). */
static int drain(struct client *c)
{
	double deadline = now() + DRAIN_SECONDS;

	do {
		if (ping(c) < 0)
			return -1;
		if (!c->ntimers)
			return 0;
		usleep(20000);
	} while (now() < deadline);
	return failure(c, "%d timers did not fire within %.0f s", c->ntimers, DRAIN_SECONDS);
}

static void *run_client(void *arg)
{
	struct client *c = arg;
	int ok = join_channels(c) == 0;

	pthread_barrier_wait(&all_joined);
	for (unsigned long round = 1; ok && !atomic_load(&stopping); round++) {
		ok = one_round(c, round) == 0;
		if (ok && opt.pause_ms)
			usleep(opt.pause_ms * 1000);
	}
	if (ok)
		drain(c);
	if (c->fd >= 0)
		close(c->fd);
	return NULL;
}

static int run(void)
{
	static struct client clients[MAX_CLIENTS];
	pthread_t threads[MAX_CLIENTS];
	unsigned long long requests = 0;
	unsigned long published = 0, messages = 0, timers = 0;
	int failed = 0, sig;
	sigset_t stop_signals;

	/* The threads inherit the mask: only sigwait() below takes them. */
	sigemptyset(&stop_signals);
	sigaddset(&stop_signals, SIGTERM);
	sigaddset(&stop_signals, SIGINT);
	pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
	pthread_barrier_init(&all_joined, NULL, opt.clients + 1);
	for (int i = 0; i < opt.clients; i++) {
		clients[i].id = i;
		clients[i].fd = -1;
		clients[i].echo_channel = -1;
		if (pthread_create(&threads[i], NULL, run_client, &clients[i]) != 0) {
			fprintf(stderr, "chatload: cannot start client thread %d\n", i);
			exit(1);
		}
	}
	pthread_barrier_wait(&all_joined);
	printf("chatload: %d clients ready\n", opt.clients);
	fflush(stdout);
	sigwait(&stop_signals, &sig);
	atomic_store(&stopping, 1);
	for (int i = 0; i < opt.clients; i++) {
		pthread_join(threads[i], NULL);
		requests += clients[i].requests;
		published += clients[i].published;
		messages += clients[i].messages;
		timers += clients[i].timers_fired;
		failed += clients[i].failed;
	}
	printf("chatload: %d clients, %llu requests, %lu published, %lu messages received,"
	       " %lu timers fired, %d failed\n", opt.clients, requests, published, messages,
	       timers, failed);
	return failed ? 1 : 0;
}

static int send_lines(char **lines, int count, int hold)
{
	struct client c = { .id = -1, .fd = -1, .echo_channel = -1 };
	char reply[1100];
	ssize_t n;

	if (connect_to_chatd(&c) < 0)
		return 1;
	for (int i = 0; i < count; i++) {
		if (request(&c, reply, sizeof reply, "%s", lines[i]) < 0)
			return 1;
		printf("%s\n", reply);
	}
	fflush(stdout);
	/* Until chatd closes the connection: what it sends is not checked. */
	while (hold && ((n = read(c.fd, c.in, sizeof c.in)) > 0 ||
			(n < 0 && (errno == EINTR || errno == EAGAIN))))
		;
	close(c.fd);
	return 0;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: chatload --port N [--clients C] [--pause-ms P] [--timeout T] run\n"
		"       chatload --port N [--timeout T] send|hold LINE...\n");
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "clients", required_argument, NULL, 'c' },
		{ "pause-ms", required_argument, NULL, 'm' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int o;

	while ((o = getopt_long(argc, argv, "+p:c:m:t:h", longopts, NULL)) != -1) {
		switch (o) {
		case 'p':
			opt.port = atoi(optarg);
			break;
		case 'c':
			opt.clients = atoi(optarg);
			break;
		case 'm':
			opt.pause_ms = atoi(optarg);
			break;
		case 't':
			opt.timeout = atoi(optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (opt.port <= 0 || opt.port > 65535 || opt.clients < 1 || opt.clients > MAX_CLIENTS ||
	    opt.pause_ms < 0 || opt.timeout < 1 || optind >= argc) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[optind], "run") == 0 && optind + 1 == argc)
		return run();
	if (strcmp(argv[optind], "send") == 0 || strcmp(argv[optind], "hold") == 0)
		return send_lines(argv + optind + 1, argc - optind - 1,
				  strcmp(argv[optind], "hold") == 0);
	usage(stderr);
	return 2;
}
