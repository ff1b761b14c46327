/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ringd - a key-value server on raw epoll (edge-triggered, data.ptr to the
 * connection) with a mutable command table of function pointers (calls
 * counted in the table itself), items on a hash and an LRU list, a ring
 * of the last requests that keeps pointers to request records already
 * freed (only their sequence numbers are read, from a parallel array),
 * and sentinel integers in pointer fields (a connection's `watch` is
 * NULL, WATCH_ALL or a real item).
 *
 * REL 2: the table gains APPEND, DEL becomes a logged write, the command
 * struct gains a member, items gain an expiry.
 * Usage: ringd PORT-FILE
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
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

#define WATCH_ALL ((struct item *)1)
#define RING 32
#define NBUCKETS 4096

struct item {
	struct item *hnext;
	struct item *lru_prev, *lru_next;
	char *key, *val;
#if REL >= 2
	long expires;
#endif
	unsigned long version;
};

struct conn {
	int fd;
	unsigned id;
	struct item *watch;     /* NULL, WATCH_ALL or an item */
	char *in;               /* malloc'd, grows */
	size_t len, cap;
	unsigned long served;
};

struct req {
	unsigned long seq;
	struct conn *from;
	char line[];
};

enum { CMD_READ = 1, CMD_WRITE = 2, CMD_LOGGED = 4, CMD_ADMIN = 8 };

struct command {
	const char *name;
	int (*run)(struct conn *c, int argc, char **argv, char *out, size_t size);
	int arity;              /* -n: at least n */
	unsigned flags;
	unsigned long calls;
#if REL >= 2
	unsigned long rejected;
#endif
};

static struct item *buckets[NBUCKETS];
static struct item lru = { .lru_prev = &lru, .lru_next = &lru };
static size_t nitems;
static unsigned long writes_logged;
static struct req *ring[RING];          /* stale once handled */
static unsigned long ring_seq[RING];
static unsigned ring_at;
static unsigned long seq;
static int epfd = -1, listen_fd = -1;
static unsigned nconns, next_conn_id;
static struct conn listener_conn;       /* data.ptr of the listener */

static unsigned hash(const char *s)
{
	unsigned h = 5381;
	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h;
}

static struct item *find(const char *key)
{
	for (struct item *i = buckets[hash(key) % NBUCKETS]; i; i = i->hnext)
		if (!strcmp(i->key, key))
			return i;
	return NULL;
}

static void lru_unlink(struct item *i)
{
	i->lru_prev->lru_next = i->lru_next;
	i->lru_next->lru_prev = i->lru_prev;
}

static void lru_push(struct item *i)
{
	i->lru_next = lru.lru_next;
	i->lru_prev = &lru;
	lru.lru_next->lru_prev = i;
	lru.lru_next = i;
}

static int cmd_get(struct conn *c, int argc, char **argv, char *out, size_t size)
{
	(void)c, (void)argc;
	struct item *i = find(argv[1]);
	if (!i)
		return snprintf(out, size, "NONE");
	lru_unlink(i);
	lru_push(i);
	return snprintf(out, size, "VALUE %s", i->val);
}

static int cmd_set(struct conn *c, int argc, char **argv, char *out, size_t size)
{
	(void)c, (void)argc;
	struct item *i = find(argv[1]);
	char *v = strdup(argv[2]);
	if (!v)
		return snprintf(out, size, "ERROR memory");
	if (i) {
		free(i->val);
		lru_unlink(i);
	} else {
		i = calloc(1, sizeof(*i));
		if (!i || !(i->key = strdup(argv[1]))) {
			free(i);
			free(v);
			return snprintf(out, size, "ERROR memory");
		}
		unsigned b = hash(argv[1]) % NBUCKETS;
		i->hnext = buckets[b];
		buckets[b] = i;
		nitems++;
	}
	i->val = v;
	i->version++;
	lru_push(i);
	return snprintf(out, size, "OK");
}

static int cmd_del(struct conn *c, int argc, char **argv, char *out, size_t size)
{
	(void)c, (void)argc;
	struct item **p = &buckets[hash(argv[1]) % NBUCKETS];
	while (*p && strcmp((*p)->key, argv[1]))
		p = &(*p)->hnext;
	if (!*p)
		return snprintf(out, size, "NONE");
	struct item *i = *p;
	*p = i->hnext;
	lru_unlink(i);
	free(i->key);
	free(i->val);
	free(i);
	nitems--;
	return snprintf(out, size, "OK");
}

static int cmd_version(struct conn *c, int argc, char **argv, char *out, size_t size)
{
	(void)c, (void)argc, (void)argv;
	return snprintf(out, size, "VERSION ringd %d", REL);
}

static int cmd_watch(struct conn *c, int argc, char **argv, char *out, size_t size)
{
	(void)argc;
	if (!strcmp(argv[1], "*"))
		c->watch = WATCH_ALL;
	else if (!strcmp(argv[1], "-"))
		c->watch = NULL;
	else if (!(c->watch = find(argv[1])))
		return snprintf(out, size, "NONE");
	return snprintf(out, size, "WATCHING %s",
			c->watch == WATCH_ALL ? "*" : c->watch ? c->watch->key : "-");
}

static int cmd_watching(struct conn *c, int argc, char **argv, char *out, size_t size)
{
	(void)argc, (void)argv;
	return snprintf(out, size, "WATCHING %s",
			c->watch == WATCH_ALL ? "*" : c->watch ? c->watch->key : "-");
}

static int cmd_history(struct conn *c, int argc, char **argv, char *out, size_t size)
{
	(void)c, (void)argc, (void)argv;
	unsigned long lo = ~0ul, hi = 0;
	for (int k = 0; k < RING; k++)
		if (ring[k]) {
			lo = ring_seq[k] < lo ? ring_seq[k] : lo;
			hi = ring_seq[k] > hi ? ring_seq[k] : hi;
		}
	return snprintf(out, size, "HISTORY %lu %lu", hi - lo + 1, hi);
}

static int cmd_verify(struct conn *c, int argc, char **argv, char *out, size_t size);

#if REL >= 2
static int cmd_append(struct conn *c, int argc, char **argv, char *out, size_t size)
{
	(void)c, (void)argc;
	struct item *i = find(argv[1]);
	if (!i)
		return snprintf(out, size, "NONE");
	size_t a = strlen(i->val), b = strlen(argv[2]);
	char *v = realloc(i->val, a + b + 1);
	if (!v)
		return snprintf(out, size, "ERROR memory");
	memcpy(v + a, argv[2], b + 1);
	i->val = v;
	i->version++;
	return snprintf(out, size, "LENGTH %zu", a + b);
}
#endif

static struct command commands[] = {
	{ .name = "GET", .run = cmd_get, .arity = 2, .flags = CMD_READ },
	{ .name = "SET", .run = cmd_set, .arity = -3, .flags = CMD_WRITE | CMD_LOGGED },
#if REL >= 2
	{ .name = "DEL", .run = cmd_del, .arity = 2, .flags = CMD_WRITE | CMD_LOGGED },
#else
	{ .name = "DEL", .run = cmd_del, .arity = 2, .flags = CMD_WRITE },
#endif
	{ .name = "VERSION", .run = cmd_version, .arity = 1, .flags = 0 },
	{ .name = "WATCH", .run = cmd_watch, .arity = 2, .flags = CMD_READ },
	{ .name = "WATCHING", .run = cmd_watching, .arity = 1, .flags = CMD_READ },
	{ .name = "HISTORY", .run = cmd_history, .arity = 1, .flags = CMD_ADMIN },
	{ .name = "VERIFY", .run = cmd_verify, .arity = 1, .flags = CMD_ADMIN },
#if REL >= 2
	{ .name = "APPEND", .run = cmd_append, .arity = 3, .flags = CMD_WRITE | CMD_LOGGED },
#endif
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static int cmd_verify(struct conn *c, int argc, char **argv, char *out, size_t size)
{
	(void)c, (void)argc, (void)argv;
	size_t n = 0, m = 0;
	for (unsigned b = 0; b < NBUCKETS; b++)
		for (struct item *i = buckets[b]; i; i = i->hnext, n++)
			if (hash(i->key) % NBUCKETS != b)
				return snprintf(out, size, "VERIFY bad %s in bucket %u", i->key, b);
	for (struct item *i = lru.lru_next; i != &lru; i = i->lru_next, m++)
		if (i->lru_next->lru_prev != i || m > n)
			return snprintf(out, size, "VERIFY bad lru at %zu", m);
	if (n != nitems || m != n)
		return snprintf(out, size, "VERIFY bad %zu hashed, %zu on the lru, %zu counted", n, m,
				nitems);
	unsigned long calls = 0;
	for (size_t k = 0; k < NCOMMANDS; k++) {
		if (!commands[k].run || !commands[k].name)
			return snprintf(out, size, "VERIFY bad command %zu", k);
		calls += commands[k].calls;
	}
	if (calls != seq)
		return snprintf(out, size, "VERIFY bad %lu calls counted, %lu requests", calls, seq);
	return snprintf(out, size, "VERIFY ok items=%zu conns=%u logged=%lu", nitems, nconns,
			writes_logged);
}

static int execute(struct conn *c, char *line, char *out, size_t size)
{
	char *argv[4];
	int argc = 0;
	for (char *t = strtok(line, " "); t && argc < 4; t = strtok(NULL, argc == 2 ? "" : " "))
		argv[argc++] = t;
	if (!argc)
		return snprintf(out, size, "ERROR empty");
	for (size_t k = 0; k < NCOMMANDS; k++) {
		struct command *cmd = &commands[k];
		if (strcmp(cmd->name, argv[0]))
			continue;
		if (cmd->arity > 0 ? argc != cmd->arity : argc < -cmd->arity) {
#if REL >= 2
			cmd->rejected++;
#endif
			return snprintf(out, size, "ERROR arity");
		}
		cmd->calls++;
		if (cmd->flags & CMD_LOGGED)
			writes_logged++;
		return cmd->run(c, argc, argv, out, size);
	}
	return snprintf(out, size, "ERROR unknown %s", argv[0]);
}

static void handle(struct conn *c, char *line)
{
	size_t len = strlen(line);
	struct req *r = malloc(sizeof(*r) + len + 1);
	char out[4200];
	if (!r)
		return;
	r->seq = ++seq;
	r->from = c;
	memcpy(r->line, line, len + 1);
	ring[ring_at] = r;               /* kept after the free below */
	ring_seq[ring_at] = r->seq;
	ring_at = (ring_at + 1) % RING;
	int n = execute(c, r->line, out, sizeof out - 1);
	free(r);
	if (n < 0)
		return;
	if ((size_t)n > sizeof out - 2)
		n = (int)sizeof out - 2;
	out[n++] = '\n';
	for (int off = 0; off < n;) {
		ssize_t w = write(c->fd, out + off, (size_t)(n - off));
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		off += (int)w;
	}
	c->served++;
}

static void close_conn(struct conn *c)
{
	epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	free(c->in);
	free(c);
	nconns--;
}

static void readable(struct conn *c)
{
	for (;;) {
		if (c->cap - c->len < 512) {
			char *n = realloc(c->in, c->cap * 2);
			if (!n) {
				close_conn(c);
				return;
			}
			c->in = n;
			c->cap *= 2;
		}
		ssize_t r = read(c->fd, c->in + c->len, c->cap - c->len);
		if (r < 0 && errno == EAGAIN)
			break;
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			close_conn(c);
			return;
		}
		c->len += (size_t)r;
	}
	char *start = c->in, *nl;
	while ((nl = memchr(start, '\n', c->len - (size_t)(start - c->in)))) {
		*nl = 0;
		handle(c, start);
		start = nl + 1;
	}
	c->len -= (size_t)(start - c->in);
	memmove(c->in, start, c->len);
}

static void accept_all(void)
{
	for (;;) {
		int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK);
		if (fd < 0)
			return;
		struct conn *c = calloc(1, sizeof(*c));
		if (!c || !(c->in = malloc(1024))) {
			free(c);
			close(fd);
			continue;
		}
		c->cap = 1024;
		c->fd = fd;
		c->id = ++next_conn_id;
		struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.ptr = c };
		epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
		nconns++;
	}
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: ringd PORT-FILE\n");
		return 2;
	}
	if (!stf_is_updating()) {
		struct sockaddr_in sa = { .sin_family = AF_INET,
					  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		socklen_t sl = sizeof sa;
		listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		epfd = epoll_create1(0);
		if (listen_fd < 0 || epfd < 0 || bind(listen_fd, (struct sockaddr *)&sa, sizeof sa) ||
		    listen(listen_fd, 64) || getsockname(listen_fd, (struct sockaddr *)&sa, &sl)) {
			perror("ringd");
			return 1;
		}
		listener_conn.fd = listen_fd;
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &listener_conn };
		epoll_ctl(epfd, EPOLL_CTL_ADD, listen_fd, &ev);
		FILE *f = fopen(argv[1], "w");
		if (!f || fprintf(f, "%d\n", ntohs(sa.sin_port)) < 0 || fclose(f)) {
			perror(argv[1]);
			return 1;
		}
	}
	for (;;) {
		struct epoll_event evs[32];
		stf_update_point();
		int n = epoll_wait(epfd, evs, 32, 200);
		for (int k = 0; k < n; k++) {
			struct conn *c = evs[k].data.ptr;
			if (c == &listener_conn)
				accept_all();
			else
				readable(c);
		}
	}
}
