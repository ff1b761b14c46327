/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * counter, version 2 (see ../v1/counter.c): struct item changed type - value
 * widened to long, members reordered, a member added - and the version
 * request answers 2.  Everything else is the same program.  Built with
 * -DCLOSE_LISTENER_IN_UPDATE=HOW, its startup as a new version closes every
 * listening socket it finds (HOW: 1 with close(), 2 with the raw system
 * call); with -DSLOW_FORWARD its forward transfer
 * takes a second more (a transfer-done callback sleeps).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <stf.h>
#include "../listener.h"

struct item {
	struct item *next;
	long value;
	int key;
	int hits; /* new: zero after the update */
};

static struct item *items;
static int nitems;
char last_cmd[16];

static int requests(void)
{
	static int count;
	return ++count;
}

static void handle(int c, int *nreq)
{
	char buf[256], out[256];
	int k;
	long v;

	if (read_request(c, buf, sizeof buf) <= 0)
		return;
	*nreq = requests();
	snprintf(last_cmd, sizeof last_cmd, "%.15s", buf);
	if (sscanf(buf, "add %d %ld", &k, &v) == 2) {
		struct item *it = malloc(sizeof *it);
		it->key = k;
		it->value = v;
		it->hits = 0;
		it->next = items;
		items = it;
		nitems++;
		snprintf(out, sizeof out, "ok\n");
	} else if (sscanf(buf, "fill %d", &k) == 1) {
		for (int i = 0; i < k; i++) {
			struct item *it = malloc(sizeof *it);
			it->key = 1000000 + i;
			it->value = i;
			it->hits = 0;
			it->next = items;
			items = it;
			nitems++;
		}
		snprintf(out, sizeof out, "ok\n");
	} else if (sscanf(buf, "get %d", &k) == 1) {
		struct item *it = items;
		while (it && it->key != k)
			it = it->next;
		if (it) {
			it->hits++;
			snprintf(out, sizeof out, "%ld\n", it->value);
		} else {
			snprintf(out, sizeof out, "none\n");
		}
	} else if (strncmp(buf, "sum", 3) == 0) {
		long s = 0;
		for (struct item *it = items; it; it = it->next)
			s += it->value;
		snprintf(out, sizeof out, "%ld %d %d\n", s, nitems, *nreq);
	} else if (strncmp(buf, "version", 7) == 0) {
		snprintf(out, sizeof out, "2\n");
	} else {
		snprintf(out, sizeof out, "error\n");
	}
	write_reply(c, out);
}

/* The event loop; its locals (lfd, nreq) are transferred with the frame
 * of its update point. */
static int serve(int lfd)
{
	int nreq = 0;

	for (;;) {
		stf_update_point();
		int c = accept(lfd, NULL, NULL);
		if (c < 0) {
			if (errno == EINTR)
				continue;
			perror("counter: accept");
			return 1;
		}
#ifdef ZERO_IS_NONE
		/* as servers keeping "no connection" as 0 do: never answered */
		if (c == 0)
			continue;
#endif
		handle(c, &nreq);
		close(c);
	}
}

#ifdef SLOW_FORWARD
static int sleep_a_second(struct stf_xfer *x, void *arg)
{
	(void)x;
	(void)arg;
	sleep(1);
	return 0;
}
#endif

int main(int argc, char **argv)
{
	int lfd = -1;

#ifdef SLOW_FORWARD
	stf_on_transfer_done(STF_FORWARD, sleep_a_second, NULL);
#endif

	if (argc != 2) {
		fprintf(stderr, "usage: counter SOCKET\n");
		return 2;
	}
#if CLOSE_LISTENER_IN_UPDATE == 2
#define CLOSE_STRAY(fd) syscall(SYS_close, (fd))
#else
#define CLOSE_STRAY(fd) close(fd)
#endif
#ifdef CLOSE_LISTENER_IN_UPDATE
	/* a new version whose startup closes what it takes for stray
	 * descriptors, the running version's listener among them */
	if (stf_is_updating())
		for (int fd = 3; fd < 64; fd++) {
			int on = 0;
			socklen_t len = sizeof on;
			if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &on, &len) == 0 && on)
				CLOSE_STRAY(fd);
		}
#endif
	if (!stf_is_updating()) {
#ifdef CLOEXEC_LISTENER
		lfd = listen_at("counter", argv[1], SOCK_STREAM | SOCK_CLOEXEC, 16); /* as sshd does */
#else
		lfd = listen_at("counter", argv[1], SOCK_STREAM, 16);
#endif
	}
	return serve(lfd);
}
