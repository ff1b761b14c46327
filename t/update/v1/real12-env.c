/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * real12-env: a line server whose startup copies its environment as
 * nginx's does, before its update point, at every start:
 *  - ngx_init_setproctitle: the environment strings moved into one heap
 *    block (the process title may then take their place), the exec
 *    vector's entries (`environ` = envp, on the stack) pointed into it;
 *  - ngx_set_environment: an array of the variables it keeps (those
 *    starting with REAL12_), pointing into that block, made `environ`
 *    and kept in the heap configuration (ccf->environment) a global
 *    points to; a reload frees the configuration's array unless `environ`
 *    still is it (ngx_cleanup_environment).
 * The transfer replaces the configuration with the old one.  If
 * `environ` keeps the new startup's array, that array stays reachable
 * and is state at the next update; if the old process's title block (held
 * only by its exec vector, which is not transferred) is copied into a
 * block nothing reaches, it is state at the next update too: each update
 * would leave two objects more.
 * One request per connection:
 *   env      REAL12_KEEP's value (getenv), whether `environ`
 *            is the configuration's array, the variables
 *            in it, whether the exec vector's entry of
 *            REAL12_KEEP lies in the title block          -> "V SAME N INBLOCK"
 *   reload   a new configuration and environment array,
 *            the old array freed unless it is `environ`   -> "ok"
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stf.h>
#include "../listener.h"

extern char **environ;

struct config {
	char **environment; /* as ngx_core_conf_t's */
	size_t nenv;
};

struct config *conf;
static char **os_environ;   /* as ngx_os_environ: the exec vector */
static char *title;         /* the block the strings were moved into */
static size_t title_size;

/* ngx_init_setproctitle: every environment string copied into one block,
 * the exec vector's entries pointed there. */
static int move_environment(void)
{
	size_t size = 0;
	for (char **e = environ; *e; e++)
		size += strlen(*e) + 1;
	char *p = malloc(size);
	if (!p)
		return -1;
	title = p;
	title_size = size;
	for (char **e = environ; *e; e++) {
		size_t n = strlen(*e) + 1;
		memcpy(p, *e, n);
		*e = p;
		p += n;
	}
	return 0;
}

/* ngx_set_environment: the variables kept, made `environ`. */
static struct config *set_environment(void)
{
	struct config *c = calloc(1, sizeof *c);
	size_t n = 0;
	if (!c)
		return NULL;
	for (char **e = os_environ; *e; e++)
		n += !strncmp(*e, "REAL12_", 7);
	c->environment = malloc((n + 1) * sizeof(char *));
	if (!c->environment)
		return NULL;
	for (char **e = os_environ; *e; e++)
		if (!strncmp(*e, "REAL12_", 7))
			c->environment[c->nenv++] = *e;
	c->environment[c->nenv] = NULL;
	environ = c->environment;
	return c;
}

static void handle(int fd)
{
	char buf[256], out[512];

	if (read_request(fd, buf, sizeof buf) <= 0)
		return;
	if (!strncmp(buf, "env", 3)) {
		const char *v = getenv("REAL12_KEEP");
		int inblock = 0;
		for (char **e = os_environ; *e; e++)
			if (!strncmp(*e, "REAL12_KEEP=", 12))
				inblock = *e >= title && *e < title + title_size;
		snprintf(out, sizeof out, "%s %d %zu %d\n", v ? v : "(unset)",
			 environ == conf->environment, conf->nenv, inblock);
	} else if (!strncmp(buf, "reload", 6)) {
		struct config *old = conf, *c = set_environment();
		if (c) {
			conf = c;
			if (old->environment != environ) /* ngx_cleanup_environment */
				free(old->environment);
			free(old);
		}
		snprintf(out, sizeof out, c ? "ok\n" : "error\n");
	} else {
		snprintf(out, sizeof out, "error\n");
	}
	write_reply(fd, out);
}

int main(int argc, char **argv)
{
	static int lfd = -1;

	if (argc != 2) {
		fprintf(stderr, "usage: real12-env SOCKET\n");
		return 2;
	}
	os_environ = environ;
	if (move_environment() < 0 || !(conf = set_environment())) {
		perror("real12-env: environment");
		return 1;
	}
	if (!stf_is_updating())
		lfd = listen_at("real12-env", argv[1], SOCK_STREAM, 16);
	for (;;) {
		stf_update_point();
		int c = accept_next("real12-env", lfd);
		if (c < 0)
			continue;
		handle(c);
		close(c);
	}
}
