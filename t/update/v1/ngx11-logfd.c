/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ngx11-logfd: a line server whose startup opens its log into a heap
 * configuration a global points to (as nginx's open files in its cycle),
 * and whose option count (getopt's `optind`, in the C runtime's data)
 * equals the number the new startup's log takes at an update.  The
 * transfer gives the global the old configuration and frees the
 * startup's; the startup's log must then be closed: a number in the C
 * runtime's data is no descriptor of the program (the runtime holds
 * files in its streams), and each update would leave a log open.  The
 * log is moved to descriptor 8 or above (LOG_FD_MIN), so that the first
 * process's takes 8 and each new startup's 9 (8 is inherited), whatever
 * the environment opened below.  -v (any number of times) only counts.
 * One request per connection:
 *   hit     count a request, log it          -> "ok"
 *   stats   requests counted, -v count       -> "H V"
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

#define LOG_FD_MIN 8

struct config {
	int log;
	int verbose;
	long hits;
};

struct config *conf;

static int open_log(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	int high = fcntl(fd, F_DUPFD_CLOEXEC, LOG_FD_MIN);
	close(fd);
	return high;
}

static void handle(int fd)
{
	char buf[256], out[256];

	if (read_request(fd, buf, sizeof buf) <= 0)
		return;
	if (!strncmp(buf, "hit", 3)) {
		conf->hits++;
		dprintf(conf->log, "hit %ld\n", conf->hits);
		snprintf(out, sizeof out, "ok\n");
	} else if (!strncmp(buf, "stats", 5)) {
		snprintf(out, sizeof out, "%ld %d\n", conf->hits, conf->verbose);
	} else {
		snprintf(out, sizeof out, "error\n");
	}
	write_reply(fd, out);
}

int main(int argc, char **argv)
{
	static int lfd = -1;
	char log_path[120];
	int opt, verbose = 0;

	while ((opt = getopt(argc, argv, "v")) != -1) {
		if (opt != 'v') {
			fprintf(stderr, "usage: ngx11-logfd [-v]... SOCKET\n");
			return 2;
		}
		verbose++;
	}
	if (optind != argc - 1) {
		fprintf(stderr, "usage: ngx11-logfd [-v]... SOCKET\n");
		return 2;
	}
	snprintf(log_path, sizeof log_path, "%s.log", argv[optind]);
	conf = calloc(1, sizeof *conf);
	if (!conf || (conf->log = open_log(log_path)) < 0) {
		perror("ngx11-logfd: log");
		return 1;
	}
	conf->verbose = verbose;
	/* which number this startup's log took, and getopt's count */
	fprintf(stderr, "log %d optind %d\n", conf->log, optind);
	if (!stf_is_updating())
		lfd = listen_at("ngx11-logfd", argv[optind], SOCK_STREAM, 16);
	for (;;) {
		stf_update_point();
		int c = accept_next("ngx11-logfd", lfd);
		if (c < 0)
			continue;
		handle(c);
		close(c);
	}
}
