/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * evstartup: a line server on a UNIX socket whose loop is libevent's and
 * whose startup, in every start, makes its libevent state: its
 * event_base, and a housekeeping struct on the heap with its timer event
 * embedded, as pgbouncer's and memcached's startups do.  Only the
 * listening socket is guarded by stf_is_updating().  In the new version of
 * an update the transfer replaces `base` and `housekeeping` with the old
 * version's, which orphans what the new startup made: the base (libevent's
 * blocks, reached only through its own statics, which the transfer
 * replaced too) and the housekeeping struct (reached only from that base's
 * timer heap).  The housekeeping struct is carved out of a block of
 * chunks by an STF_ALLOCATOR function, as pgbouncer's sockets are out of
 * libusual's slabs: an object inside another startup block, which must
 * not keep that block (nor what it points to) alive by itself.  One
 * request per connection, answered at once:
 *   add K V  -> "ok" (K < 64)   get K -> V   ticks -> housekeeping runs
 * (t/update/update-chain-libevent.sh)
 *
 * With "inloop" after the socket, the loop is memcached's: one
 * event_base_loop(base, EVLOOP_ONCE) after another, on whatever `base`
 * holds, and the new version parks inside the loop on its startup's base
 * (in on_tick, as the old one does): at the commit that thread goes on
 * down that base's loop, so the base is kept, and from its next round on
 * runs the transferred one (t/update/update-chain-evinloop.sh).
 */
#include <errno.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stf.h>
#include "../listener.h"

#define NKEYS 64

struct housekeeping {
	struct event timer;
	unsigned long runs;
	char *name;
};

/* Chunks of 16-byte multiples handed out of one block. */
struct chunks {
	size_t used;
	char mem[1024];
};

static struct chunks *chunks;
STF_ALLOCATOR static void *chunk_alloc(size_t size);

static struct event_base *base;
static struct housekeeping *housekeeping;
static struct event listen_ev;
static long values[NKEYS];
static const struct timeval tick = { 0, 10000 };

static void *chunk_alloc(size_t size)
{
	void *p;

	if (!chunks && !(chunks = calloc(1, sizeof *chunks)))
		return NULL;
	if (size > sizeof chunks->mem - chunks->used)
		return NULL;
	p = chunks->mem + chunks->used;
	chunks->used += (size + 15) & ~(size_t)15;
	return p;
}

/* Housekeeping every 10 ms; the update point of the server. */
static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd, (void)what, (void)arg;
	housekeeping->runs++;
	stf_update_point();
}

static void on_accept(evutil_socket_t lfd, short what, void *arg)
{
	char buf[128], out[64] = "error\n";
	int c = accept(lfd, NULL, NULL), k;
	long v;
	ssize_t n;

	(void)what, (void)arg;
	if (c < 0)
		return;
	/* a pending update interrupts blocking calls (EINTR) */
	do
		n = read(c, buf, sizeof buf - 1);
	while (n < 0 && errno == EINTR);
	buf[n > 0 ? n : 0] = 0;
	if (sscanf(buf, "add %d %ld", &k, &v) == 2 && k >= 0 && k < NKEYS) {
		values[k] = v;
		snprintf(out, sizeof out, "ok\n");
	} else if (sscanf(buf, "get %d", &k) == 1 && k >= 0 && k < NKEYS) {
		snprintf(out, sizeof out, "%ld\n", values[k]);
	} else if (!strncmp(buf, "ticks", 5)) {
		snprintf(out, sizeof out, "%lu %s\n", housekeeping->runs, housekeeping->name);
	}
	if (write(c, out, strlen(out)) < 0)
		perror("evstartup: write");
	close(c);
}

/* The loop's state, made in every start.  Not inlined into main, which
 * would keep the new base in a register across the update point: a value
 * the update's sweep must take for a live pointer to it. */
static __attribute__((noinline)) int start_loop(void)
{
	base = event_base_new();
	housekeeping = chunk_alloc(sizeof *housekeeping);
	if (!base || !housekeeping || !(housekeeping->name = strdup("housekeeping")))
		return -1;
	housekeeping->runs = 0;
	event_assign(&housekeeping->timer, base, -1, EV_PERSIST, on_tick, NULL);
	return event_add(&housekeeping->timer, &tick);
}

int main(int argc, char **argv)
{

	int inloop = argc == 3 && !strcmp(argv[2], "inloop");

	if (argc != 2 && !inloop) {
		fprintf(stderr, "usage: evstartup SOCKET [inloop]\n");
		return 2;
	}
	if (start_loop() < 0) {
		fprintf(stderr, "evstartup: cannot set up the event loop\n");
		return 1;
	}
	if (!stf_is_updating()) {
		int fd = listen_at("evstartup", argv[1], SOCK_STREAM, 64);

		event_assign(&listen_ev, base, fd, EV_READ | EV_PERSIST, on_accept, NULL);
		event_add(&listen_ev, NULL);
	} else if (!inloop) {
		/* the new version of an update: the state arrives here */
		on_tick(-1, EV_TIMEOUT, NULL);
	}
	if (inloop)
		while (event_base_loop(base, EVLOOP_ONCE) == 0)
			;
	else
		event_base_dispatch(base);
	fprintf(stderr, "evstartup: the event loop ended\n");
	return 1;
}
