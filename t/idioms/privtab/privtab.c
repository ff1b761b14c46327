/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * privtab - a key-value server on epoll dispatching through a mutable
 * command table, written as a stranger would (wave 11's red team).  Each
 * command carries the size of its private state and a `void *priv` made
 * at its first call, `calloc(1, cmd->priv_size)`: the readers' statistics
 * (struct read_stats, with the last key read), the writers' log (struct
 * write_log, a ring of the last records written, which keeps pointing to
 * records deleted since), none for the others; the handlers cast priv
 * back.  The records are in a sorted array of `struct rec *` (binary
 * search, insertion by memmove) grown by realloc; the connections in a
 * static array indexed by descriptor, epoll's data the descriptor.
 *
 * Protocol: SET k v -> OK, GET k -> VALUE v | NONE, DEL k -> OK | NONE,
 * INCR k -> VALUE n, VERSION, VERIFY, STATS cmd -> STATS calls=n ...
 * REL 2: MGET k... -> VALUES v|- ... inserted in the middle of the table;
 * struct write_log gains a member in its middle, struct read_stats a
 * longer last key; struct command a member.
 * Usage: privtab PORT-FILE
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stf.h>

#ifndef REL
#define REL 1
#endif

#define MAXFD 1024
#define LOGSIZE 8

struct rec {
	char *key;
	char *val;
};

static struct rec **recs; /* sorted by key */
static size_t nrecs, caprecs;

struct conn {
	int fd;
	size_t inlen, outlen;
	char in[4096];
	char out[16384];
};

static struct conn *conns[MAXFD];
static int epfd, listen_fd;

struct read_stats {
	unsigned long hits, misses;
#if REL >= 2
	char last_key[48];
#else
	char last_key[32];
#endif
};

struct write_log {
	unsigned long writes;
#if REL >= 2
	unsigned long bytes; /* new in 2 */
#endif
	unsigned next;
	struct rec *last[LOGSIZE]; /* some deleted since */
};

struct command;
typedef void handler_fn(struct conn *c, int argc, char **argv, struct command *cmd);

struct command {
	const char *name;
	handler_fn *fn;
	int arity; /* -n: at least n words */
#if REL >= 2
	unsigned flags; /* new in 2 */
#endif
	size_t priv_size;
	void *priv;
	unsigned long calls;
};

static void reply(struct conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void reply(struct conn *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(c->out + c->outlen, sizeof c->out - c->outlen, fmt, ap);
	va_end(ap);
	if (n > 0 && (size_t)n < sizeof c->out - c->outlen)
		c->outlen += n;
}

/* The index of key, or where it goes (*found 0). */
static size_t rec_search(const char *key, int *found)
{
	size_t lo = 0, hi = nrecs;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int d = strcmp(recs[mid]->key, key);
		if (!d)
			return *found = 1, mid;
		if (d < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return *found = 0, lo;
}

static struct rec *rec_get(const char *key)
{
	int found;
	size_t i = rec_search(key, &found);
	return found ? recs[i] : NULL;
}

static void logged(struct command *cmd, struct rec *r)
{
	struct write_log *log = cmd->priv;
	log->writes++;
#if REL >= 2
	log->bytes += strlen(r->val);
#endif
	log->last[log->next] = r;
	log->next = (log->next + 1) % LOGSIZE;
}

static struct rec *store_set(const char *key, const char *val)
{
	int found;
	size_t i = rec_search(key, &found);
	struct rec *r;
	if (found) {
		r = recs[i];
		free(r->val);
	} else {
		if (nrecs == caprecs) {
			caprecs = caprecs ? 2 * caprecs : 64;
			recs = realloc(recs, caprecs * sizeof *recs);
		}
		memmove(recs + i + 1, recs + i, (nrecs - i) * sizeof *recs);
		r = recs[i] = malloc(sizeof *r);
		r->key = strdup(key);
		nrecs++;
	}
	r->val = strdup(val);
	return r;
}

static void cmd_set(struct conn *c, int argc, char **argv, struct command *cmd)
{
	(void)argc;
	logged(cmd, store_set(argv[1], argv[2]));
	reply(c, "OK\n");
}

static void cmd_get(struct conn *c, int argc, char **argv, struct command *cmd)
{
	struct read_stats *st = cmd->priv;
	struct rec *r = rec_get(argv[1]);
	(void)argc;
	snprintf(st->last_key, sizeof st->last_key, "%s", argv[1]);
	if (!r) {
		st->misses++;
		reply(c, "NONE\n");
		return;
	}
	st->hits++;
	reply(c, "VALUE %s\n", r->val);
}

#if REL >= 2
static void cmd_mget(struct conn *c, int argc, char **argv, struct command *cmd)
{
	struct read_stats *st = cmd->priv;
	reply(c, "VALUES");
	for (int i = 1; i < argc; i++) {
		struct rec *r = rec_get(argv[i]);
		if (r)
			st->hits++;
		else
			st->misses++;
		reply(c, " %s", r ? r->val : "-");
	}
	reply(c, "\n");
}
#endif

static void cmd_del(struct conn *c, int argc, char **argv, struct command *cmd)
{
	int found;
	size_t i = rec_search(argv[1], &found);
	struct rec *r;
	(void)argc;
	if (!found) {
		reply(c, "NONE\n");
		return;
	}
	r = recs[i];
	logged(cmd, r); /* the log keeps the freed record's address */
	memmove(recs + i, recs + i + 1, (nrecs - i - 1) * sizeof *recs);
	nrecs--;
	free(r->key);
	free(r->val);
	free(r);
	reply(c, "OK\n");
}

static void cmd_incr(struct conn *c, int argc, char **argv, struct command *cmd)
{
	struct rec *r = rec_get(argv[1]);
	char num[24];
	(void)argc;
	snprintf(num, sizeof num, "%ld", (r ? atol(r->val) : 0) + 1);
	logged(cmd, store_set(argv[1], num));
	reply(c, "VALUE %s\n", num);
}

static void cmd_version(struct conn *c, int argc, char **argv, struct command *cmd)
{
	(void)argc, (void)argv, (void)cmd;
	reply(c, "VERSION privtab %d\n", REL);
}

static void cmd_verify(struct conn *c, int argc, char **argv, struct command *cmd);
static void cmd_stats(struct conn *c, int argc, char **argv, struct command *cmd);

#define CMD_READONLY 1

static struct command commands[] = {
	{ .name = "GET", .fn = cmd_get, .arity = 2, .priv_size = sizeof(struct read_stats),
#if REL >= 2
	  .flags = CMD_READONLY,
#endif
	},
	{ .name = "SET", .fn = cmd_set, .arity = 3, .priv_size = sizeof(struct write_log) },
#if REL >= 2
	{ .name = "MGET", .fn = cmd_mget, .arity = -2, .flags = CMD_READONLY,
	  .priv_size = sizeof(struct read_stats) },
#endif
	{ .name = "DEL", .fn = cmd_del, .arity = 2, .priv_size = sizeof(struct write_log) },
	{ .name = "INCR", .fn = cmd_incr, .arity = 2, .priv_size = sizeof(struct write_log) },
	{ .name = "STATS", .fn = cmd_stats, .arity = 2 },
	{ .name = "VERSION", .fn = cmd_version, .arity = 1 },
	{ .name = "VERIFY", .fn = cmd_verify, .arity = 1 },
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void cmd_stats(struct conn *c, int argc, char **argv, struct command *cmd)
{
	(void)argc, (void)cmd;
	for (size_t i = 0; i < NCOMMANDS; i++) {
		struct command *k = &commands[i];
		if (strcmp(k->name, argv[1]))
			continue;
		reply(c, "STATS calls=%lu", k->calls);
		if (k->fn == cmd_get && k->priv) {
			struct read_stats *st = k->priv;
			reply(c, " hits=%lu misses=%lu last=%s", st->hits, st->misses, st->last_key);
		} else if (k->priv) {
			struct write_log *log = k->priv;
			reply(c, " writes=%lu", log->writes);
		}
		reply(c, "\n");
		return;
	}
	reply(c, "NONE\n");
}

static void cmd_verify(struct conn *c, int argc, char **argv, struct command *cmd)
{
	unsigned long calls = 0;
	(void)argc, (void)argv, (void)cmd;
	for (size_t i = 0; i + 1 < nrecs; i++)
		if (strcmp(recs[i]->key, recs[i + 1]->key) >= 0) {
			reply(c, "VERIFY bad order at %zu\n", i);
			return;
		}
	for (size_t i = 0; i < NCOMMANDS; i++) {
		struct command *k = &commands[i];
		calls += k->calls;
		if ((k->priv && !k->priv_size) || (k->fn == cmd_get) != !strcmp(k->name, "GET")) {
			reply(c, "VERIFY bad command %s\n", k->name);
			return;
		}
		if (k->priv_size == sizeof(struct write_log) && k->priv) {
			struct write_log *log = k->priv;
			if (log->next >= LOGSIZE) {
				reply(c, "VERIFY bad log of %s\n", k->name);
				return;
			}
		}
	}
	reply(c, "VERIFY ok keys=%zu calls=%lu\n", nrecs, calls);
}

static void dispatch(struct conn *c, char *line)
{
	char *argv[16];
	int argc = 0;
	for (char *w = strtok(line, " "); w && argc < 16; w = strtok(NULL, " "))
		argv[argc++] = w;
	for (size_t i = 0; argc && i < NCOMMANDS; i++) {
		struct command *cmd = &commands[i];
		if (strcmp(cmd->name, argv[0]))
			continue;
		if (cmd->arity >= 0 ? argc != cmd->arity : argc < -cmd->arity)
			break;
		if (cmd->priv_size && !cmd->priv)
			cmd->priv = calloc(1, cmd->priv_size);
		cmd->calls++;
		cmd->fn(c, argc, argv, cmd);
		return;
	}
	reply(c, "ERROR %s\n", argc ? argv[0] : "empty");
}

static void conn_close(struct conn *c)
{
	epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	conns[c->fd] = NULL;
	free(c);
}

static void conn_io(struct conn *c)
{
	ssize_t r = read(c->fd, c->in + c->inlen, sizeof c->in - c->inlen - 1);
	char *line, *nl;
	if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
		conn_close(c);
		return;
	}
	if (r > 0)
		c->inlen += r;
	c->in[c->inlen] = '\0';
	for (line = c->in; (nl = strchr(line, '\n')); line = nl + 1) {
		*nl = '\0';
		dispatch(c, line);
	}
	c->inlen -= line - c->in;
	memmove(c->in, line, c->inlen);
	r = c->outlen ? write(c->fd, c->out, c->outlen) : 0;
	if (r > 0) {
		c->outlen -= r;
		memmove(c->out, c->out + r, c->outlen);
	}
}

static void serve(void)
{
	struct epoll_event evs[64];
	for (;;) {
		stf_update_point();
		int n = epoll_wait(epfd, evs, 64, -1);
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			if (fd == listen_fd) {
				int cfd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK);
				if (cfd < 0 || cfd >= MAXFD) {
					if (cfd >= 0)
						close(cfd);
					continue;
				}
				struct epoll_event ev = { .events = EPOLLIN, .data.fd = cfd };
				conns[cfd] = calloc(1, sizeof(struct conn));
				conns[cfd]->fd = cfd;
				epoll_ctl(epfd, EPOLL_CTL_ADD, cfd, &ev);
			} else if (conns[fd])
				conn_io(conns[fd]);
		}
	}
}

static void start(const char *port_file)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct epoll_event ev = { .events = EPOLLIN };
	socklen_t len = sizeof sa;
	FILE *f;

	epfd = epoll_create1(0);
	listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (epfd < 0 || listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&sa, sizeof sa) ||
	    listen(listen_fd, 128) || getsockname(listen_fd, (struct sockaddr *)&sa, &len)) {
		perror("privtab: listen");
		exit(1);
	}
	ev.data.fd = listen_fd;
	epoll_ctl(epfd, EPOLL_CTL_ADD, listen_fd, &ev);
	f = fopen(port_file, "w");
	if (!f || fprintf(f, "%d\n", ntohs(sa.sin_port)) < 0 || fclose(f)) {
		perror(port_file);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: privtab PORT-FILE\n");
		return 2;
	}
	if (!stf_is_updating())
		start(argv[1]);
	serve();
}
