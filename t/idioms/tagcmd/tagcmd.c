/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tagcmd - a key-value server over poll(), an idiom test server of ttst
 * (t/idioms/tagcmd.sh, wave 22's hunt), written as a small Redis-like
 * server is.  Every block comes from zalloc(), a size-prefixing wrapper
 * whose 8-byte header holds the block's size and a kind tag; strings are
 * `char *` behind a second, 16-byte header (length, capacity, a magic),
 * grown by zrealloc through the wrapper; the hash table's bucket array is
 * a zalloc'd block replaced as the table grows.  Requests go through a
 * static command table (name, handler, arity, flags, call counter)
 * mutated at run time: DISABLE and ENABLE set a flag, RENAME points an
 * entry's name to a string of the heap.  Connections keep a partial
 * request in their input string.  Protocol (one line each way):
 *
 *   SET key value -> OK            GET key -> VALUE value | NONE
 *   DEL key       -> OK | NONE     VERSION -> VERSION tagcmd REL
 *   CALLS name    -> CALLS n       DISABLE name / ENABLE name -> OK
 *   RENAME name new -> OK          PING -> PONG
 *   APPEND key text -> LEN n       (release 2 only)
 *   VERIFY        -> VERIFY ok ... | VERIFY bad ...
 *
 * Release 2 inserts APPEND in the middle of the table, adds to every
 * entry a pointer to per-command statistics its startup allocates (never
 * NULL), adds a kind of block after the others (whose live count only
 * release 2's startup knows), and grows the item in its middle.
 *
 * Usage: tagcmd PORT-FILE
 */
#define _GNU_SOURCE
#ifdef IDIOM_O0
#pragma GCC optimize("O0")   /* the -O0 build of its test (-O2 by default) */
#endif
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stf.h>

#include "../port-listener.h"

#ifndef REL
#define REL 1
#endif

/* ---- the allocator: an 8-byte header of size and kind before each block */

enum kind { K_ITEM = 1, K_STR, K_TABLE, K_CONN,
#if REL >= 2
	K_STAT,
#endif
	K_MAX };

struct zhdr {
	uint32_t size;
	uint32_t kind;
};

static unsigned long live[K_MAX];      /* blocks of each kind */

STF_ALLOCATOR void *zalloc(size_t n, enum kind kind);
STF_ALLOCATOR void *zrealloc(void *p, size_t n);
void zfree(void *p);

void *zalloc(size_t n, enum kind kind)
{
	struct zhdr *h = malloc(sizeof *h + n);

	if (!h)
		abort();
	h->size = n;
	h->kind = kind;
	live[kind]++;
	return h + 1;
}

void *zrealloc(void *p, size_t n)
{
	struct zhdr *h = (struct zhdr *)p - 1;

	h = realloc(h, sizeof *h + n);
	if (!h)
		abort();
	h->size = n;
	return h + 1;
}

void zfree(void *p)
{
	struct zhdr *h;

	if (!p)
		return;
	h = (struct zhdr *)p - 1;
	live[h->kind]--;
	h->kind = 0;
	free(h);
}

static const struct zhdr *zhead(const void *p)
{
	return (const struct zhdr *)p - 1;
}

/* ---- strings: a 16-byte header before the text */

#define STR_MAGIC 0x5354u

struct strhdr {
	uint32_t len;
	uint32_t cap;
	uint32_t magic;
	uint32_t pad;
};

STF_ALLOCATOR char *str_new(const char *s, size_t len);
STF_ALLOCATOR char *str_cat(char *s, const char *t, size_t n);

char *str_new(const char *s, size_t len)
{
	struct strhdr *h = zalloc(sizeof *h + len + 1, K_STR);

	h->len = h->cap = len;
	h->magic = STR_MAGIC;
	h->pad = 0;
	memcpy(h + 1, s, len);
	((char *)(h + 1))[len] = '\0';
	return (char *)(h + 1);
}

static struct strhdr *str_hdr(const char *s)
{
	return (struct strhdr *)s - 1;
}

static size_t str_len(const char *s)
{
	return str_hdr(s)->len;
}

/* Appends, doubling the capacity when it must grow. */
char *str_cat(char *s, const char *t, size_t n)
{
	struct strhdr *h = str_hdr(s);

	if (h->len + n > h->cap) {
		uint32_t cap = 2 * (h->len + n);

		h = zrealloc(h, sizeof *h + cap + 1);
		h->cap = cap;
	}
	memcpy((char *)(h + 1) + h->len, t, n);
	h->len += n;
	((char *)(h + 1))[h->len] = '\0';
	return (char *)(h + 1);
}

static void str_free(char *s)
{
	if (s)
		zfree(str_hdr(s));
}

/* Cuts the first n bytes. */
static void str_skip(char *s, size_t n)
{
	struct strhdr *h = str_hdr(s);

	memmove(s, s + n, h->len - n + 1);
	h->len -= n;
}

/* ---- the store */

struct item {
	char *key;
#if REL >= 2
	unsigned long appends;
#endif
	char *val;
	unsigned long hits;
	struct item *next;
};

static struct item **buckets;
static size_t nbuckets, nkeys;

static size_t hash(const char *s)
{
	size_t h = 5381;

	while (*s)
		h = h * 33 ^ (unsigned char)*s++;
	return h;
}

static struct item **slot(const char *key)
{
	struct item **pp = &buckets[hash(key) & (nbuckets - 1)];

	while (*pp && strcmp((*pp)->key, key))
		pp = &(*pp)->next;
	return pp;
}

static void grow_table(void)
{
	size_t n = nbuckets ? 2 * nbuckets : 16;
	struct item **nb = zalloc(n * sizeof *nb, K_TABLE);

	memset(nb, 0, n * sizeof *nb);
	for (size_t b = 0; b < nbuckets; b++)
		while (buckets[b]) {
			struct item *it = buckets[b];

			buckets[b] = it->next;
			it->next = nb[hash(it->key) & (n - 1)];
			nb[hash(it->key) & (n - 1)] = it;
		}
	zfree(buckets);
	buckets = nb;
	nbuckets = n;
}

/* ---- connections */

#define MAXCONN 128

struct conn {
	int fd;
	char *in;             /* bytes read, a partial request at its end */
	unsigned long requests;
};

static struct conn *conns[MAXCONN];
static int listen_fd;

static void out(struct conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void out(struct conn *c, const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof buf - 1)
		n = sizeof buf - 1;
	if (write(c->fd, buf, n) != n)
		shutdown(c->fd, SHUT_RDWR);
}

/* ---- the command table */

#define CMD_WRITE 1u
#define CMD_ADMIN 2u
#define CMD_DISABLED 4u
#define CMD_RENAMED 8u           /* its name a string of the heap */

#if REL >= 2
struct cmdstat {
	unsigned long calls;
	unsigned long max_args;
};
#endif

struct command {
	const char *name;
	void (*proc)(struct conn *c, int argc, char **argv);
	int arity;
	unsigned flags;
	unsigned long calls;
#if REL >= 2
	struct cmdstat *stat;
#endif
};

static void get_cmd(struct conn *c, int argc, char **argv);
static void set_cmd(struct conn *c, int argc, char **argv);
static void del_cmd(struct conn *c, int argc, char **argv);
#if REL >= 2
static void append_cmd(struct conn *c, int argc, char **argv);
#endif
static void ping_cmd(struct conn *c, int argc, char **argv);
static void version_cmd(struct conn *c, int argc, char **argv);
static void calls_cmd(struct conn *c, int argc, char **argv);
static void flag_cmd(struct conn *c, int argc, char **argv);
static void rename_cmd(struct conn *c, int argc, char **argv);
static void verify_cmd(struct conn *c, int argc, char **argv);

static struct command commands[] = {
	{ .name = "GET", .proc = get_cmd, .arity = 2, .flags = 0 },
	{ .name = "SET", .proc = set_cmd, .arity = 3, .flags = CMD_WRITE },
#if REL >= 2
	{ .name = "APPEND", .proc = append_cmd, .arity = 3, .flags = CMD_WRITE },
#endif
	{ .name = "DEL", .proc = del_cmd, .arity = 2, .flags = CMD_WRITE },
	{ .name = "PING", .proc = ping_cmd, .arity = 1, .flags = 0 },
	{ .name = "VERSION", .proc = version_cmd, .arity = 1, .flags = 0 },
	{ .name = "CALLS", .proc = calls_cmd, .arity = 2, .flags = 0 },
	{ .name = "DISABLE", .proc = flag_cmd, .arity = 2, .flags = CMD_ADMIN },
	{ .name = "ENABLE", .proc = flag_cmd, .arity = 2, .flags = CMD_ADMIN },
	{ .name = "RENAME", .proc = rename_cmd, .arity = 3, .flags = CMD_ADMIN },
	{ .name = "VERIFY", .proc = verify_cmd, .arity = 1, .flags = 0 },
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static struct command *find_command(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (!strcasecmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

static void get_cmd(struct conn *c, int argc, char **argv)
{
	struct item *it = *slot(argv[1]);

	(void)argc;
	if (!it) {
		out(c, "NONE\n");
		return;
	}
	it->hits++;
	out(c, "VALUE %s\n", it->val);
}

static void set_cmd(struct conn *c, int argc, char **argv)
{
	struct item **pp = slot(argv[1]), *it = *pp;

	(void)argc;
	if (it) {
		str_free(it->val);
	} else {
		it = zalloc(sizeof *it, K_ITEM);
		memset(it, 0, sizeof *it);
		it->key = str_new(argv[1], strlen(argv[1]));
		*pp = it;
		if (++nkeys > 2 * nbuckets)
			grow_table();
	}
	it->val = str_new(argv[2], strlen(argv[2]));
	out(c, "OK\n");
}

#if REL >= 2
static void append_cmd(struct conn *c, int argc, char **argv)
{
	struct item *it = *slot(argv[1]);

	(void)argc;
	if (!it) {
		out(c, "NONE\n");
		return;
	}
	it->val = str_cat(it->val, argv[2], strlen(argv[2]));
	it->appends++;
	out(c, "LEN %zu\n", str_len(it->val));
}
#endif

static void del_cmd(struct conn *c, int argc, char **argv)
{
	struct item **pp = slot(argv[1]), *it = *pp;

	(void)argc;
	if (!it) {
		out(c, "NONE\n");
		return;
	}
	*pp = it->next;
	str_free(it->key);
	str_free(it->val);
	zfree(it);
	nkeys--;
	out(c, "OK\n");
}

static void ping_cmd(struct conn *c, int argc, char **argv)
{
	(void)argc, (void)argv;
	out(c, "PONG\n");
}

static void version_cmd(struct conn *c, int argc, char **argv)
{
	(void)argc, (void)argv;
	out(c, "VERSION tagcmd %d\n", REL);
}

static void calls_cmd(struct conn *c, int argc, char **argv)
{
	struct command *cmd = find_command(argv[1]);

	(void)argc;
	if (cmd)
		out(c, "CALLS %lu\n", cmd->calls);
	else
		out(c, "ERR no such command\n");
}

static void flag_cmd(struct conn *c, int argc, char **argv)
{
	struct command *cmd = find_command(argv[1]);

	(void)argc;
	if (!cmd || (cmd->flags & CMD_ADMIN)) {
		out(c, "ERR cannot\n");
		return;
	}
	if (!strcasecmp(argv[0], "DISABLE"))
		cmd->flags |= CMD_DISABLED;
	else
		cmd->flags &= ~CMD_DISABLED;
	out(c, "OK\n");
}

static void rename_cmd(struct conn *c, int argc, char **argv)
{
	struct command *cmd = find_command(argv[1]);

	(void)argc;
	if (!cmd || (cmd->flags & CMD_RENAMED) || find_command(argv[2])) {
		out(c, "ERR cannot\n");
		return;
	}
	cmd->name = str_new(argv[2], strlen(argv[2]));
	cmd->flags |= CMD_RENAMED;
	out(c, "OK\n");
}

/* A string made by str_new: both headers say what it holds. */
static int str_ok(const char *s)
{
	const struct strhdr *h = str_hdr(s);
	const struct zhdr *z = zhead(h);

	return h->magic == STR_MAGIC && h->len == strlen(s) && h->cap >= h->len &&
	       z->kind == K_STR && z->size == sizeof *h + h->cap + 1;
}

static void verify_cmd(struct conn *c, int argc, char **argv)
{
	unsigned long items = 0, strs = 0, nconns = 0, total = 0;

	(void)argc, (void)argv;
	if (zhead(buckets)->kind != K_TABLE || zhead(buckets)->size != nbuckets * sizeof *buckets) {
		out(c, "VERIFY bad the bucket array's header\n");
		return;
	}
	for (size_t b = 0; b < nbuckets; b++)
		for (struct item *it = buckets[b]; it; it = it->next) {
			if (zhead(it)->kind != K_ITEM || zhead(it)->size != sizeof *it) {
				out(c, "VERIFY bad item header %u/%u\n", zhead(it)->kind, zhead(it)->size);
				return;
			}
			if (!str_ok(it->key) || !str_ok(it->val)) {
				out(c, "VERIFY bad a string of %s\n", it->key);
				return;
			}
			if ((hash(it->key) & (nbuckets - 1)) != b) {
				out(c, "VERIFY bad %s in bucket %zu\n", it->key, b);
				return;
			}
			items++;
			strs += 2;
		}
	for (int i = 0; i < MAXCONN; i++)
		if (conns[i]) {
			if (zhead(conns[i])->kind != K_CONN || !str_ok(conns[i]->in)) {
				out(c, "VERIFY bad connection %d\n", i);
				return;
			}
			nconns++;
			strs++;
		}
	for (size_t i = 0; i < NCOMMANDS; i++) {
		const struct command *cmd = &commands[i];

		if (cmd->proc == rename_cmd || cmd->proc == flag_cmd ? !(cmd->flags & CMD_ADMIN)
								      : (cmd->flags & CMD_ADMIN)) {
			out(c, "VERIFY bad %s's flags %u\n", cmd->name, cmd->flags);
			return;
		}
		if (cmd->flags & CMD_RENAMED) {
			if (!str_ok(cmd->name)) {
				out(c, "VERIFY bad the new name of a command\n");
				return;
			}
			strs++;
		}
		total += cmd->calls;
#if REL >= 2
		if (!cmd->stat || zhead(cmd->stat)->kind != K_STAT || cmd->stat->calls > cmd->calls) {
			out(c, "VERIFY bad %s's statistics\n", cmd->name);
			return;
		}
#endif
	}
	if (items != nkeys || items != live[K_ITEM] || strs != live[K_STR] || nconns != live[K_CONN] ||
	    live[K_TABLE] != 1) {
		out(c, "VERIFY bad counts: items %lu/%zu/%lu strings %lu/%lu conns %lu/%lu tables %lu\n",
		    items, nkeys, live[K_ITEM], strs, live[K_STR], nconns, live[K_CONN], live[K_TABLE]);
		return;
	}
#if REL >= 2
	if (live[K_STAT] != NCOMMANDS) {
		out(c, "VERIFY bad %lu statistics blocks for %zu commands\n", live[K_STAT], NCOMMANDS);
		return;
	}
#endif
	out(c, "VERIFY ok keys=%zu buckets=%zu conns=%lu calls=%lu\n", nkeys, nbuckets, nconns, total);
}

static void dispatch(struct conn *c, char *line)
{
	char *argv[4];
	int argc = 0;
	struct command *cmd;

	for (char *tok = strtok(line, " "); tok && argc < 4; tok = strtok(NULL, argc == 2 ? "" : " "))
		argv[argc++] = tok;
	c->requests++;
	if (argc == 0 || !(cmd = find_command(argv[0]))) {
		out(c, "ERR unknown command\n");
		return;
	}
	if (cmd->flags & CMD_DISABLED) {
		out(c, "ERR disabled\n");
		return;
	}
	if (argc != cmd->arity) {
		out(c, "ERR arity\n");
		return;
	}
	cmd->calls++;
#if REL >= 2
	cmd->stat->calls++;
	if ((unsigned long)argc > cmd->stat->max_args)
		cmd->stat->max_args = argc;
#endif
	cmd->proc(c, argc, argv);
}

static void conn_close(int i)
{
	close(conns[i]->fd);
	str_free(conns[i]->in);
	zfree(conns[i]);
	conns[i] = NULL;
}

static void conn_read(int i)
{
	struct conn *c = conns[i];
	char buf[4096], *nl;
	ssize_t n = read(c->fd, buf, sizeof buf);

	if (n <= 0) {
		if (n < 0 && errno == EAGAIN)
			return;
		conn_close(i);
		return;
	}
	c->in = str_cat(c->in, buf, n);
	while ((nl = memchr(c->in, '\n', str_len(c->in)))) {
		size_t len = nl - c->in + 1;
		char line[1024];

		if (len > sizeof line)
			len = sizeof line;
		memcpy(line, c->in, len - 1);
		line[len - 1] = '\0';
		str_skip(c->in, nl - c->in + 1);
		dispatch(c, line);
	}
}

static void conn_accept(void)
{
	int fd = accept(listen_fd, NULL, NULL), i;

	if (fd < 0)
		return;
	for (i = 0; i < MAXCONN && conns[i]; i++)
		;
	if (i == MAXCONN) {
		close(fd);
		return;
	}
	conns[i] = zalloc(sizeof *conns[i], K_CONN);
	conns[i]->fd = fd;
	conns[i]->in = str_new("", 0);
	conns[i]->requests = 0;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: tagcmd PORT-FILE\n");
		return 2;
	}
#if REL >= 2
	for (size_t i = 0; i < NCOMMANDS; i++) {
		commands[i].stat = zalloc(sizeof *commands[i].stat, K_STAT);
		memset(commands[i].stat, 0, sizeof *commands[i].stat);
	}
#endif
	if (!stf_is_updating()) {
		listen_fd = listen_loopback("tagcmd", SOCK_STREAM, argv[1]);
		grow_table();
	}
	for (;;) {
		struct pollfd pfd[MAXCONN + 2];
		int slot_of[MAXCONN + 2], n = 0;

		stf_update_point();
		pfd[n].fd = listen_fd;
		pfd[n++].events = POLLIN;
		pfd[n].fd = stf_update_fd();
		pfd[n++].events = POLLIN;
		for (int i = 0; i < MAXCONN; i++)
			if (conns[i]) {
				slot_of[n] = i;
				pfd[n].fd = conns[i]->fd;
				pfd[n++].events = POLLIN;
			}
		if (poll(pfd, n, 1000) < 0)
			continue;
		for (int k = 2; k < n; k++)
			if (pfd[k].revents)
				conn_read(slot_of[k]);
		if (pfd[0].revents)
			conn_accept();
	}
}
