/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * cmdtab 2 - a key-value server dispatching through a mutable command
 * table, the way Redis' server.c does; an idiom test server of ttst
 * (t/idioms/cmdtab.sh).  Single-threaded, poll(), one request line, one
 * reply line:
 *
 *   SET key value -> OK            GET key -> VALUE value | NONE
 *   DEL key       -> OK | NONE     VERSION -> VERSION cmdtab/2.0.0
 *   STRLEN key    -> LEN n | NONE
 *   STATS         -> STATS NAME=calls ... (every command, in table order)
 *   VERIFY        -> VERIFY ok keys=n commands=n calls=n | VERIFY bad ...
 *
 * command_table is a static array of structs: name, arity, handler (a
 * function pointer) and counters written at every call.  The version the
 * server reports is a string literal a static pointer points to.  VERIFY
 * checks the table (every entry named, with a handler, found by its name,
 * its counters adding up to the requests dispatched) and the hash table.
 *
 * Release 2 (this one) gains a command, STRLEN, at the end of the table,
 * a member in struct command (flags, from this release's table for the
 * entries of release 1 too), and reports another version string.
 *
 * Usage: cmdtab PORT-FILE (listens on 127.0.0.1, any free port).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <stf.h>
#include "../../port-listener.h"

#define MAX_CLIENTS 64
#define INBUF 1024
#define NBUCKETS 1024
#define MAX_ARGS 3

static const char *server_version = "cmdtab/2.0.0";

/* ---- The store. ---- */

struct kv {
	struct kv *next;
	char *key;
	char *value;
};

static struct kv *buckets[NBUCKETS];
static unsigned long nkeys;

static unsigned hash_key(const char *s)
{
	unsigned h = 5381;

	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h;
}

static struct kv **lookup(const char *key)
{
	struct kv **link = &buckets[hash_key(key) % NBUCKETS];

	while (*link && strcmp((*link)->key, key) != 0)
		link = &(*link)->next;
	return link;
}

/* ---- Commands. ---- */

struct client {
	int fd;
	size_t inlen;
	char in[INBUF];
};

static void reply(struct client *c, const char *text)
{
	size_t len = strlen(text), done = 0;

	while (done < len) {
		ssize_t n = send(c->fd, text + done, len - done, MSG_NOSIGNAL);

		if (n < 0 && errno != EINTR)
			return;   /* the client is gone; the next read says so */
		done += n > 0 ? n : 0;
	}
}

typedef void command_proc(struct client *c, char **argv);

#define CMD_WRITE 1   /* changes the data */

struct command {
	const char *name;
	int arity;                    /* words, the name included */
	int flags;                    /* CMD_*: new in release 2 */
	command_proc *proc;
	unsigned long calls;
	unsigned long microseconds;   /* spent in proc */
};

static command_proc set_command, get_command, del_command, strlen_command,
	version_command, stats_command, verify_command;

static struct command command_table[] = {
	{ "SET", 3, CMD_WRITE, set_command, 0, 0 },
	{ "GET", 2, 0, get_command, 0, 0 },
	{ "DEL", 2, CMD_WRITE, del_command, 0, 0 },
	{ "VERSION", 1, 0, version_command, 0, 0 },
	{ "STATS", 1, 0, stats_command, 0, 0 },
	{ "VERIFY", 1, 0, verify_command, 0, 0 },
	{ "STRLEN", 2, 0, strlen_command, 0, 0 },
};

#define NCOMMANDS (sizeof command_table / sizeof command_table[0])

static unsigned long dispatched;   /* requests that found their command */

static struct command *find_command(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (strcasecmp(command_table[i].name, name) == 0)
			return &command_table[i];
	return NULL;
}

static void set_command(struct client *c, char **argv)
{
	struct kv **link = lookup(argv[1]), *kv = *link;

	if (kv) {
		free(kv->value);
	} else {
		kv = calloc(1, sizeof *kv);
		if (!kv) {
			reply(c, "ERR out of memory\n");
			return;
		}
		kv->key = strdup(argv[1]);
		*link = kv;
		nkeys++;
	}
	kv->value = strdup(argv[2]);
	reply(c, "OK\n");
}

static void get_command(struct client *c, char **argv)
{
	struct kv *kv = *lookup(argv[1]);
	char out[INBUF + 16];

	if (!kv) {
		reply(c, "NONE\n");
		return;
	}
	snprintf(out, sizeof out, "VALUE %s\n", kv->value);
	reply(c, out);
}

static void del_command(struct client *c, char **argv)
{
	struct kv **link = lookup(argv[1]), *kv = *link;

	if (!kv) {
		reply(c, "NONE\n");
		return;
	}
	*link = kv->next;
	free(kv->key);
	free(kv->value);
	free(kv);
	nkeys--;
	reply(c, "OK\n");
}

static void strlen_command(struct client *c, char **argv)
{
	struct kv *kv = *lookup(argv[1]);
	char out[64];

	if (!kv) {
		reply(c, "NONE\n");
		return;
	}
	snprintf(out, sizeof out, "LEN %zu\n", strlen(kv->value));
	reply(c, out);
}

static void version_command(struct client *c, char **argv)
{
	char out[128];

	(void)argv;
	snprintf(out, sizeof out, "VERSION %s\n", server_version);
	reply(c, out);
}

static void stats_command(struct client *c, char **argv)
{
	char out[1024];
	size_t used = snprintf(out, sizeof out, "STATS");

	(void)argv;
	for (size_t i = 0; i < NCOMMANDS && used < sizeof out; i++)
		used += snprintf(out + used, sizeof out - used, " %s=%lu", command_table[i].name,
				 command_table[i].calls);
	if (used < sizeof out - 1) {
		out[used] = '\n';
		out[used + 1] = '\0';
	}
	reply(c, out);
}

static const char *check_state(void)
{
	static char why[160];
	unsigned long calls = 0, n = 0;

	for (size_t i = 0; i < NCOMMANDS; i++) {
		const struct command *cmd = &command_table[i];

		if (!cmd->name || !cmd->proc || cmd->arity < 1 || find_command(cmd->name) != cmd) {
			snprintf(why, sizeof why, "command_table[%zu] (%s)", i,
				 cmd->name ? cmd->name : "no name");
			return why;
		}
		/* the entries of release 1 get their flags from this
		 * release's table, not zero */
		if (!(cmd->flags & CMD_WRITE) !=
		    !(strcmp(cmd->name, "SET") == 0 || strcmp(cmd->name, "DEL") == 0)) {
			snprintf(why, sizeof why, "command_table[%zu] (%s): flags %d", i,
				 cmd->name, cmd->flags);
			return why;
		}
		calls += cmd->calls;
	}
	if (calls != dispatched) {
		snprintf(why, sizeof why, "%lu calls counted, %lu dispatched", calls, dispatched);
		return why;
	}
	for (unsigned b = 0; b < NBUCKETS; b++)
		for (const struct kv *kv = buckets[b]; kv; kv = kv->next, n++)
			if (hash_key(kv->key) % NBUCKETS != b || !kv->value)
				return "a key outside its bucket";
	return n == nkeys ? NULL : "nkeys is wrong";
}

static void verify_command(struct client *c, char **argv)
{
	const char *why = check_state();
	char out[256];

	(void)argv;
	if (why)
		snprintf(out, sizeof out, "VERIFY bad %s\n", why);
	else
		snprintf(out, sizeof out, "VERIFY ok keys=%lu commands=%zu calls=%lu\n", nkeys,
			 NCOMMANDS, dispatched);
	reply(c, out);
}

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000LL + ts.tv_nsec / 1000;
}

/* Split the line into at most MAX_ARGS words (the last takes the rest),
 * find the command, check its arity and call it. */
static void handle_request(struct client *c, char *line)
{
	char *argv[MAX_ARGS];
	int argc = 0;
	struct command *cmd;
	long long start;

	while (*line && argc < MAX_ARGS) {
		argv[argc++] = line;
		if (argc == MAX_ARGS || !(line = strchr(line, ' ')))
			break;
		*line++ = '\0';
	}
	if (!argc || !(cmd = find_command(argv[0]))) {
		reply(c, "ERR unknown command\n");
		return;
	}
	if (cmd->arity != argc) {
		reply(c, "ERR wrong number of arguments\n");
		return;
	}
	cmd->calls++;
	dispatched++;
	start = now_us();
	cmd->proc(c, argv);
	cmd->microseconds += now_us() - start;
}

static struct client *clients[MAX_CLIENTS];

/* Execute the complete lines received; -1 when the client is gone. */
static int client_read(struct client *c)
{
	ssize_t n = read(c->fd, c->in + c->inlen, sizeof c->in - c->inlen);
	char *nl;

	if (n < 0)
		return errno == EINTR ? 0 : -1;
	if (n == 0)
		return -1;
	c->inlen += n;
	while ((nl = memchr(c->in, '\n', c->inlen))) {
		size_t used = nl + 1 - c->in;

		*nl = '\0';
		handle_request(c, c->in);
		memmove(c->in, nl + 1, c->inlen - used);
		c->inlen -= used;
	}
	return c->inlen == sizeof c->in ? -1 : 0;
}

static void client_close(int slot)
{
	close(clients[slot]->fd);
	free(clients[slot]);
	clients[slot] = NULL;
}

static void accept_client(int lfd)
{
	int fd = accept(lfd, NULL, NULL), one = 1, i;

	if (fd < 0)
		return;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	for (i = 0; i < MAX_CLIENTS && clients[i]; i++)
		;
	if (i == MAX_CLIENTS) {
		close(fd);
		return;
	}
	clients[i] = calloc(1, sizeof *clients[i]);
	if (!clients[i]) {
		close(fd);
		return;
	}
	clients[i]->fd = fd;
}

static int listen_fd = -1;

int main(int argc, char **argv)
{
	struct pollfd pfd[MAX_CLIENTS + 1];

	if (argc != 2) {
		fprintf(stderr, "usage: cmdtab PORT-FILE\n");
		return 2;
	}
	if (!stf_is_updating())
		listen_fd = listen_loopback("cmdtab", SOCK_STREAM, argv[1]);
	for (;;) {
		stf_update_point();
		pfd[0] = (struct pollfd){ .fd = listen_fd, .events = POLLIN };
		for (int i = 0; i < MAX_CLIENTS; i++)
			pfd[i + 1] = (struct pollfd){ .fd = clients[i] ? clients[i]->fd : -1,
						      .events = POLLIN };
		if (poll(pfd, MAX_CLIENTS + 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			perror("cmdtab: poll");
			return 1;
		}
		if (pfd[0].revents & POLLIN)
			accept_client(listen_fd);
		for (int i = 0; i < MAX_CLIENTS; i++)
			if (clients[i] && (pfd[i + 1].revents & (POLLIN | POLLHUP | POLLERR)) &&
			    client_read(clients[i]) < 0)
				client_close(i);
	}
}
