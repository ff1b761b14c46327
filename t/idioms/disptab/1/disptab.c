/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * disptab 1 - a key-value server with a command registry and a pool of
 * items, an idiom test server of ttst (t/idioms/disptab.sh).
 * Single-threaded, select(), one request line, one reply line:
 *
 *   SET key value -> OK            GET key -> VALUE value | NONE
 *   DEL key       -> OK | NONE     VERSION -> VERSION disptab 1.4
 *   COMMANDS      -> COMMANDS n name:calls ...
 *   VERIFY        -> VERIFY ok keys=n free=n blocks=n | VERIFY bad ...
 *
 * Written the way such servers are: requests are dispatched through a
 * static table of commands (name, handler, flags, a `void *` argument
 * that is a small integer for some commands and a pointer to a static
 * options struct for others, a call counter), reached through a mutable
 * registry that keeps the table's address (its length is computed with
 * sizeof); items and their keys are carved out of 8 KiB blocks of a
 * long-lived pool (values are malloc'd), and deleted items go on a free
 * list, linked through their own `next` member, with their old key
 * pointer and their freed value's address left in them.
 *
 * Release 2 (2/disptab.c) gains a command (APPEND) in the middle of the
 * table, a member in the middle of struct command, and members in the
 * middle of struct item (which no longer fits where its blocks put it).
 *
 * Usage: disptab PORT-FILE (listens on 127.0.0.1, any free port).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stf.h>

#define DISPTAB_VERSION "disptab 1.4"
#define MAX_CLIENTS 32
#define INBUF 1024
#define NBUCKETS 257
#define POOL_BLOCK 8192

/* ---- A long-lived pool: objects carved out of big blocks. ---- */

struct pool_block {
	struct pool_block *next;
	size_t used;
	unsigned char mem[];
};

struct pool {
	struct pool_block *blocks;
	size_t nblocks;
	size_t bytes;              /* handed out */
};

STF_ALLOCATOR void *pool_alloc(struct pool *p, size_t size);
STF_ALLOCATOR char *pool_strdup(struct pool *p, const char *s);

void *pool_alloc(struct pool *p, size_t size)
{
	struct pool_block *b = p->blocks;

	size = (size + 15) & ~(size_t)15;
	if (size > POOL_BLOCK)
		abort();
	if (!b || b->used + size > POOL_BLOCK) {
		b = malloc(sizeof *b + POOL_BLOCK);
		if (!b)
			abort();
		b->next = p->blocks;
		b->used = 0;
		p->blocks = b;
		p->nblocks++;
	}
	b->used += size;
	p->bytes += size;
	return b->mem + b->used - size;
}

char *pool_strdup(struct pool *p, const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(pool_alloc(p, n), s, n);
}

/* ---- Items. ---- */

struct item {
	struct item *next;         /* hash chain; the free list when free */
	char *key;
	char *value;               /* malloc'd; freed (and left) when deleted */
	unsigned flags;
};

#define ITEM_LIVE 1u

static struct pool pool;
static struct item *buckets[NBUCKETS];
static struct item *free_items;
static unsigned long nkeys, nfree;

static unsigned hash_key(const char *s)
{
	unsigned h = 0;

	while (*s)
		h = (h << 5) + h + (unsigned char)*s++;
	return h % NBUCKETS;
}

static struct item **find(const char *key)
{
	struct item **link = &buckets[hash_key(key)];

	while (*link && strcmp((*link)->key, key) != 0)
		link = &(*link)->next;
	return link;
}

static struct item *item_new(void)
{
	struct item *it = free_items;

	if (it) {
		free_items = it->next;
		nfree--;
		return it;
	}
	return pool_alloc(&pool, sizeof *it);
}

/* ---- Commands. ---- */

struct client {
	int fd;
	size_t len;
	char in[INBUF];
};

struct get_options {
	const char *prefix;        /* of a found value's reply */
	const char *missing;       /* the reply when there is none */
};

static const struct get_options get_options = { "VALUE ", "NONE" };

typedef void handler_fn(struct client *c, char **argv, int argc, void *arg, char *out, size_t size);

struct command {
	const char *name;
	handler_fn *handler;
	unsigned flags;
	void *arg;                 /* the handler's: an integer or options */
	unsigned long calls;
};

#define CMD_WRITE 1u
#define CMD_ADMIN 2u

static void cmd_set(struct client *c, char **argv, int argc, void *arg, char *out, size_t size)
{
	struct item **link = find(argv[1]), *it = *link;

	(void)c, (void)argc, (void)arg;
	if (!it) {
		it = item_new();
		it->key = pool_strdup(&pool, argv[1]);
		it->value = NULL;
		it->next = NULL;
		it->flags = ITEM_LIVE;
		*link = it;
		nkeys++;
	}
	free(it->value);
	it->value = strdup(argv[2]);
	snprintf(out, size, "OK");
}

static void cmd_get(struct client *c, char **argv, int argc, void *arg, char *out, size_t size)
{
	const struct get_options *o = arg;
	struct item *it = *find(argv[1]);

	(void)c, (void)argc;
	if (it)
		snprintf(out, size, "%s%s", o->prefix, it->value);
	else
		snprintf(out, size, "%s", o->missing);
}

static void cmd_del(struct client *c, char **argv, int argc, void *arg, char *out, size_t size)
{
	struct item **link = find(argv[1]), *it = *link;

	(void)c, (void)argc, (void)arg;
	if (!it) {
		snprintf(out, size, "NONE");
		return;
	}
	*link = it->next;
	free(it->value);           /* its value's address stays, stale */
	it->flags = 0;
	it->next = free_items;
	free_items = it;
	nfree++;
	nkeys--;
	snprintf(out, size, "OK");
}

static void cmd_version(struct client *c, char **argv, int argc, void *arg, char *out, size_t size)
{
	(void)c, (void)argv, (void)argc, (void)arg;
	snprintf(out, size, "VERSION %s", DISPTAB_VERSION);
}

static void cmd_commands(struct client *c, char **argv, int argc, void *arg, char *out, size_t size);
static void cmd_verify(struct client *c, char **argv, int argc, void *arg, char *out, size_t size);

/* arg: the number of words the command takes, or its options. */
static struct command command_table[] = {
	{ "SET", cmd_set, CMD_WRITE, (void *)3, 0 },
	{ "GET", cmd_get, 0, (void *)&get_options, 0 },
	{ "DEL", cmd_del, CMD_WRITE, (void *)2, 0 },
	{ "VERSION", cmd_version, 0, (void *)1, 0 },
	{ "COMMANDS", cmd_commands, CMD_ADMIN, (void *)1, 0 },
	{ "VERIFY", cmd_verify, CMD_ADMIN, (void *)1, 0 },
};

#define NCOMMANDS (sizeof command_table / sizeof command_table[0])

static struct registry {
	const char *name;
	struct command *commands;
	unsigned long dispatched;
} registry = { "disptab", command_table, 0 };

static void cmd_commands(struct client *c, char **argv, int argc, void *arg, char *out, size_t size)
{
	size_t used = snprintf(out, size, "COMMANDS %zu", (size_t)NCOMMANDS);

	(void)c, (void)argv, (void)argc, (void)arg;
	for (size_t i = 0; i < NCOMMANDS && used < size; i++)
		used += snprintf(out + used, size - used, " %s:%lu", registry.commands[i].name,
				 registry.commands[i].calls);
}

static void cmd_verify(struct client *c, char **argv, int argc, void *arg, char *out, size_t size)
{
	unsigned long keys = 0, nfreed = 0, calls = 0;
	size_t blocks = 0;

	(void)c, (void)argv, (void)argc, (void)arg;
	for (int b = 0; b < NBUCKETS; b++)
		for (struct item *it = buckets[b]; it; it = it->next) {
			keys++;
			if (hash_key(it->key) != (unsigned)b || it->flags != ITEM_LIVE || !it->value) {
				snprintf(out, size, "VERIFY bad item '%s'", it->key);
				return;
			}
		}
	for (struct item *it = free_items; it; it = it->next) {
		nfreed++;
		if (it->flags & ITEM_LIVE) {
			snprintf(out, size, "VERIFY bad a free item is live");
			return;
		}
	}
	for (struct pool_block *b = pool.blocks; b; b = b->next)
		blocks++;
	for (size_t i = 0; i < NCOMMANDS; i++) {
		const struct command *cmd = &registry.commands[i];

		calls += cmd->calls;
		if (!cmd->name || !cmd->handler ||
		    (cmd->handler == cmd_get) != (cmd->arg == &get_options)) {
			snprintf(out, size, "VERIFY bad command %zu", i);
			return;
		}
	}
	if (keys != nkeys || nfreed != nfree || blocks != pool.nblocks ||
	    calls != registry.dispatched + 1) {
		snprintf(out, size, "VERIFY bad counters");
		return;
	}
	snprintf(out, size, "VERIFY ok keys=%lu free=%lu blocks=%zu", keys, nfreed, blocks);
}

static void dispatch(struct client *c, char *line)
{
	char out[INBUF + 64], *argv[3];
	int argc = 0;

	for (char *w = strtok(line, " "); w && argc < 3; w = strtok(NULL, argc == 1 ? " " : ""))
		argv[argc++] = w;
	snprintf(out, sizeof out, "ERR bad request");
	for (size_t i = 0; argc && i < NCOMMANDS; i++) {
		struct command *cmd = &registry.commands[i];

		if (strcmp(cmd->name, argv[0]) != 0)
			continue;
		if (cmd->handler == cmd_get ? argc == 2 : argc == (int)(intptr_t)cmd->arg) {
			cmd->calls++;
			cmd->handler(c, argv, argc, cmd->arg, out, sizeof out - 1);
			registry.dispatched++;
		}
		break;
	}
	strcat(out, "\n");
	if (write(c->fd, out, strlen(out)) < 0)
		perror("disptab: write");
}

/* ---- Clients. ---- */

static struct client *clients[MAX_CLIENTS];
static int listen_fd = -1;

static int client_read(struct client *c)
{
	ssize_t r = read(c->fd, c->in + c->len, sizeof c->in - c->len);
	char *nl;

	if (r <= 0)
		return r < 0 && errno == EINTR ? 0 : -1;
	c->len += r;
	while ((nl = memchr(c->in, '\n', c->len))) {
		size_t n = nl - c->in + 1;

		*nl = '\0';
		dispatch(c, c->in);
		c->len -= n;
		memmove(c->in, c->in + n, c->len);
	}
	return c->len == sizeof c->in ? -1 : 0;
}

static void start(const char *port_file)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof sa;
	FILE *f;

	listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
	    listen(listen_fd, 128) < 0 || getsockname(listen_fd, (struct sockaddr *)&sa, &len) < 0) {
		perror("disptab: listen");
		exit(1);
	}
	f = fopen(port_file, "w");
	if (!f || fprintf(f, "%d\n", ntohs(sa.sin_port)) < 0 || fclose(f) != 0) {
		perror(port_file);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: disptab PORT-FILE\n");
		return 2;
	}
	if (!stf_is_updating())
		start(argv[1]);
	for (;;) {
		fd_set rd;
		int maxfd = listen_fd;

		stf_update_point();
		FD_ZERO(&rd);
		FD_SET(listen_fd, &rd);
		for (int i = 0; i < MAX_CLIENTS; i++)
			if (clients[i]) {
				FD_SET(clients[i]->fd, &rd);
				if (clients[i]->fd > maxfd)
					maxfd = clients[i]->fd;
			}
		if (select(maxfd + 1, &rd, NULL, NULL, NULL) < 0) {
			if (errno == EINTR)
				continue;
			perror("disptab: select");
			return 1;
		}
		if (FD_ISSET(listen_fd, &rd)) {
			int fd = accept(listen_fd, NULL, NULL), one = 1, i;

			for (i = 0; fd >= 0 && i < MAX_CLIENTS && clients[i]; i++)
				;
			if (fd >= 0 && i < MAX_CLIENTS) {
				setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
				clients[i] = calloc(1, sizeof *clients[i]);
				clients[i]->fd = fd;
			} else if (fd >= 0) {
				close(fd);
			}
		}
		for (int i = 0; i < MAX_CLIENTS; i++)
			if (clients[i] && FD_ISSET(clients[i]->fd, &rd) && client_read(clients[i]) < 0) {
				close(clients[i]->fd);
				free(clients[i]);
				clients[i] = NULL;
			}
	}
}
