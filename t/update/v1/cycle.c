/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cycle: a line server shaped like nginx's single-process mode.  Its
 * startup builds a "cycle" (the configuration and counters of a run) on
 * the heap and points the global `current` to it; the cycle is then
 * passed down as a parameter to the event loop, which holds the update
 * point and keeps using its parameter after an update, while main's
 * local keeps it too (as nginx's ngx_single_process_cycle(cycle) and
 * main's `cycle`).  Every start, an update's too, builds a cycle: the
 * transfer gives `current` the old version's, so unless the old cycle is
 * transferred into the new startup's own, the loop would go on with the
 * startup's fresh one and each update would leave a cycle behind, and
 * the log file each cycle opens.  One request per connection:
 *   hit         count a request in the loop's cycle,
 *               log it                                    -> "ok"
 *   stats       hits as the loop's cycle and `current`
 *               count them, whether both are one cycle,
 *               the cycle's generation and greeting       -> "H C SAME G GREETING"
 *   reload      a new cycle made from the loop's one
 *               (as a SIGHUP reload), the old one freed   -> "ok"
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stf.h>
#include "../listener.h"

struct conf {
	char greeting[32];
	int backlog;
};

struct cycle {
	struct conf *conf;
	int log;    /* the log, opened by each cycle */
	int last;   /* the descriptor of the last request: the number a new
		       startup's log takes, an old value that names no
		       descriptor of the new version */
	long hits;
	int generation;
	char *name;
};

struct cycle *volatile current; /* as ngx_cycle */
static char log_path[108];

static struct cycle *init_cycle(const struct cycle *old)
{
	struct cycle *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->conf = calloc(1, sizeof *c->conf);
	c->name = strdup(old ? old->name : "startup");
	c->log = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (!c->conf || !c->name || c->log < 0)
		return NULL;
	snprintf(c->conf->greeting, sizeof c->conf->greeting, "%s",
		 old ? old->conf->greeting : "hello");
	c->conf->backlog = 16;
	/* hits are far from descriptor numbers: a number equal to a
	 * descriptor's keeps it open (libstf closes none on a guess) */
	c->hits = old ? old->hits : 1000;
	c->generation = old ? old->generation + 1 : 1;
	current = c;
	return c;
}

static void free_cycle(struct cycle *c)
{
	close(c->log);
	free(c->conf);
	free(c->name);
	free(c);
}

static void handle(int fd, struct cycle **cyclep)
{
	struct cycle *cycle = *cyclep;
	char buf[256], out[256];

	if (read_request(fd, buf, sizeof buf) <= 0)
		return;
	cycle->last = fd;
	if (!strncmp(buf, "hit", 3)) {
		cycle->hits++;
		dprintf(cycle->log, "hit %ld\n", cycle->hits);
		snprintf(out, sizeof out, "ok\n");
	} else if (!strncmp(buf, "stats", 5)) {
		snprintf(out, sizeof out, "%ld %ld %d %d %s\n", cycle->hits, current->hits,
			 cycle == current, cycle->generation, cycle->conf->greeting);
	} else if (!strncmp(buf, "greet ", 6)) {
		snprintf(cycle->conf->greeting, sizeof cycle->conf->greeting, "%.31s", buf + 6);
		snprintf(out, sizeof out, "ok\n");
	} else if (!strncmp(buf, "reload", 6)) {
		struct cycle *fresh = init_cycle(cycle);
		if (fresh) {
			free_cycle(cycle);
			*cyclep = fresh;
		}
		snprintf(out, sizeof out, fresh ? "ok\n" : "error\n");
	} else {
		snprintf(out, sizeof out, "error\n");
	}
	write_reply(fd, out);
}

/* The loop keeps the cycle it was given in its parameter. */
static __attribute__((noinline)) int serve(struct cycle *cycle, int lfd)
{
	for (;;) {
		stf_update_point();
		int c = accept(lfd, NULL, NULL);
		if (c < 0) {
			if (errno == EINTR)
				continue;
			perror("cycle: accept");
			return 1;
		}
		handle(c, &cycle);
		close(c);
	}
}

int main(int argc, char **argv)
{
	static int lfd = -1;
	struct cycle *cycle;

	if (argc != 2) {
		fprintf(stderr, "usage: cycle SOCKET\n");
		return 2;
	}
	snprintf(log_path, sizeof log_path, "%s.log", argv[1]);
	cycle = init_cycle(NULL);
	if (!cycle) {
		perror("cycle: init");
		return 1;
	}
	if (!stf_is_updating())
		lfd = listen_at("cycle", argv[1], SOCK_STREAM, cycle->conf->backlog);
	int rc = serve(cycle, lfd);
	free_cycle(cycle); /* main's local stays live across the loop */
	return rc;
}
