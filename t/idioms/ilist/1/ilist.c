/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * ilist 1 - a key-value cache built on intrusive lists, an idiom test
 * server of ttst (t/idioms/ilist.sh).  Single-threaded, epoll, one request
 * line, one reply line:
 *
 *   SET key value -> OK            GET key -> VALUE value | NONE
 *   DEL key       -> OK | NONE     VERSION -> VERSION ilist 1
 *   LRU n         -> LRU key,key,...  (the n most recently used keys)
 *   BEFORE k1 k2  -> YES | NO | NONE  (whether k1 was used more recently than k2)
 *   VERIFY        -> VERIFY ok keys=n conns=n | VERIFY bad ...
 *
 * Written the way kernel-style C is: list nodes embedded in the structs
 * they link (struct entry sits on a hash chain and on the LRU list, each
 * through a node in its middle), reached back with container_of; every
 * connection and the listener embed a `struct handler` whose address is
 * what epoll's data.ptr holds (a pointer into the middle of a struct);
 * each value is a `struct buf` (length + flexible bytes) kept behind
 * `void *val`; a request's words are carved out of a bump arena that is
 * reset after every request (its old bytes stay behind).
 *
 * Release 2 (2/ilist.c) reorders struct entry and adds members in its
 * middle (before both list nodes), widens a counter, grows the
 * connection's name array in front of its handler and inserts an
 * enumerator in the middle of enum kind.
 *
 * Usage: ilist PORT-FILE (listens on 127.0.0.1, any free port).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stf.h>

#define ILIST_VERSION "ilist 1"
#define NCHAINS 509
#define INBUF 2048

#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))

/* ---- Intrusive doubly linked list. ---- */

struct list_head {
	struct list_head *next, *prev;
};

static void list_init(struct list_head *h) { h->next = h->prev = h; }

static void list_add(struct list_head *n, struct list_head *h)
{
	n->next = h->next;
	n->prev = h;
	h->next->prev = n;
	h->next = n;
}

static void list_del(struct list_head *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	n->next = n->prev = NULL;
}

/* ---- Values: bytes with their length, behind void *. ---- */

struct buf {
	size_t len;
	unsigned char data[];
};

enum kind { KIND_TEXT, KIND_NUMBER };

static void *buf_new(const void *bytes, size_t len)
{
	struct buf *b = malloc(sizeof *b + len);

	if (!b)
		abort();
	b->len = len;
	memcpy(b->data, bytes, len);
	return b;
}

/* ---- Entries. ---- */

struct entry {
	char *key;
	struct list_head chain;   /* on table[hash % NCHAINS] */
	unsigned hash;
	enum kind kind;
	struct list_head lru;     /* on lru, most recent first */
	void *val;                /* struct buf: text, or a long's bytes */
	unsigned hits;
};

static struct list_head table[NCHAINS];
static struct list_head lru;
static unsigned long nkeys;

static unsigned hash_key(const char *s)
{
	unsigned h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

static struct entry *lookup(const char *key)
{
	unsigned h = hash_key(key);
	struct list_head *chain = &table[h % NCHAINS];

	for (struct list_head *p = chain->next; p != chain; p = p->next) {
		struct entry *e = container_of(p, struct entry, chain);

		if (e->hash == h && strcmp(e->key, key) == 0)
			return e;
	}
	return NULL;
}

static int is_number(const char *s, long *out)
{
	char *end;

	if (!*s || (*s == '0' && s[1]) || *s == '+' || *s == ' ')
		return 0;
	errno = 0;
	*out = strtol(s, &end, 10);
	return !*end && !errno;
}

static void entry_set(const char *key, const char *value)
{
	struct entry *e = lookup(key);
	long n;

	if (!e) {
		e = calloc(1, sizeof *e);
		if (!e)
			abort();
		e->key = strdup(key);
		e->hash = hash_key(key);
		list_add(&e->chain, &table[e->hash % NCHAINS]);
		list_add(&e->lru, &lru);
		nkeys++;
	} else {
		free(e->val);
		list_del(&e->lru);
		list_add(&e->lru, &lru);
	}
	if (is_number(value, &n)) {
		e->kind = KIND_NUMBER;
		e->val = buf_new(&n, sizeof n);
	} else {
		e->kind = KIND_TEXT;
		e->val = buf_new(value, strlen(value));
	}
}

static int entry_del(const char *key)
{
	struct entry *e = lookup(key);

	if (!e)
		return 0;
	list_del(&e->chain);
	list_del(&e->lru);
	free(e->val);
	free(e->key);
	free(e);
	nkeys--;
	return 1;
}

static void entry_format(struct entry *e, char *out, size_t size)
{
	struct buf *b = e->val;

	if (e->kind == KIND_NUMBER) {
		long n;

		memcpy(&n, b->data, sizeof n);
		snprintf(out, size, "%ld", n);
	} else {
		snprintf(out, size, "%.*s", (int)b->len, (const char *)b->data);
	}
}

/* ---- Per-request bump arena. ---- */

struct arena {
	char *base;
	size_t used, cap;
};

static struct arena req_arena;

static char *arena_strndup(struct arena *a, const char *s, size_t n)
{
	char *p;

	if (a->used + n + 1 > a->cap) {
		fprintf(stderr, "ilist: request arena full\n");
		abort();
	}
	p = a->base + a->used;
	memcpy(p, s, n);
	p[n] = '\0';
	a->used += n + 1;
	return p;
}

static void arena_reset(struct arena *a) { a->used = 0; }

/* ---- Connections: epoll's data.ptr is their embedded handler. ---- */

struct handler {
	void (*on_ready)(struct handler *h, unsigned events);
};

struct conn {
	int fd;
	unsigned long requests;
	char name[16];             /* "c<serial>" */
	struct handler h;
	struct list_head link;     /* on conns */
	size_t in_len;
	char in[INBUF];
};

struct listener {
	int fd;
	unsigned long accepted;
	struct handler h;
};

static int epfd = -1;
static struct listener lsn = { .fd = -1 };
static struct list_head conns;
static unsigned long nconns;

static void conn_close(struct conn *c)
{
	epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	list_del(&c->link);
	free(c);
	nconns--;
}

static const char *verify(void)
{
	static char why[200];
	unsigned long keys = 0, on_lru = 0, n = 0;

	for (int i = 0; i < NCHAINS; i++)
		for (struct list_head *p = table[i].next; p != &table[i]; p = p->next) {
			struct entry *e = container_of(p, struct entry, chain);
			struct buf *b = e->val;

			keys++;
			if (p->next->prev != p || e->hash != hash_key(e->key) ||
			    e->hash % NCHAINS != (unsigned)i) {
				snprintf(why, sizeof why, "chain of '%s'", e->key);
				return why;
			}
			if (e->kind != KIND_TEXT && e->kind != KIND_NUMBER) {
				snprintf(why, sizeof why, "kind %d of '%s'", (int)e->kind, e->key);
				return why;
			}
			if ((e->kind == KIND_NUMBER && b->len != sizeof(long)) || b->len > INBUF) {
				snprintf(why, sizeof why, "length %zu of '%s'", b->len, e->key);
				return why;
			}
		}
	for (struct list_head *p = lru.next; p != &lru; p = p->next) {
		if (p->next->prev != p)
			return "lru links";
		on_lru++;
	}
	for (struct list_head *p = conns.next; p != &conns; p = p->next) {
		struct conn *c = container_of(p, struct conn, link);

		n++;
		if (c->name[0] != 'c' || c->h.on_ready == NULL)
			return "a connection's name or handler";
	}
	if (keys != nkeys || on_lru != nkeys || n != nconns)
		return "counters";
	if (lsn.h.on_ready == NULL)
		return "the listener's handler";
	return NULL;
}

static void reply(struct conn *c, const char *text)
{
	size_t n = strlen(text);

	if (write(c->fd, text, n) != (ssize_t)n)
		fprintf(stderr, "ilist: short write to %s\n", c->name);
}

static void request(struct conn *c, const char *line, size_t len)
{
	char *words[3] = { NULL, NULL, NULL }, out[INBUF + 64], val[INBUF];
	const char *p = line, *end = line + len;
	int nw = 0;

	/* Split into at most 3 words (the last takes the rest) in the arena. */
	while (p < end && nw < 3) {
		const char *q = nw == 2 ? end : memchr(p, ' ', end - p);

		if (!q)
			q = end;
		words[nw++] = arena_strndup(&req_arena, p, q - p);
		p = q < end ? q + 1 : end;
	}
	c->requests++;
	if (!words[0]) {
		reply(c, "ERR empty\n");
	} else if (strcmp(words[0], "SET") == 0 && words[2]) {
		entry_set(words[1], words[2]);
		reply(c, "OK\n");
	} else if (strcmp(words[0], "GET") == 0 && words[1]) {
		struct entry *e = lookup(words[1]);

		if (e) {
			e->hits++;
			list_del(&e->lru);
			list_add(&e->lru, &lru);
			entry_format(e, val, sizeof val);
			snprintf(out, sizeof out, "VALUE %s\n", val);
			reply(c, out);
		} else {
			reply(c, "NONE\n");
		}
	} else if (strcmp(words[0], "DEL") == 0 && words[1]) {
		reply(c, entry_del(words[1]) ? "OK\n" : "NONE\n");
	} else if (strcmp(words[0], "LRU") == 0 && words[1]) {
		int want = atoi(words[1]);
		size_t o = snprintf(out, sizeof out, "LRU ");

		for (struct list_head *q = lru.next; q != &lru && want-- > 0; q = q->next) {
			struct entry *e = container_of(q, struct entry, lru);

			o += snprintf(out + o, sizeof out - o, "%s%s", o > 4 ? "," : "", e->key);
			if (o >= sizeof out - 2)
				break;
		}
		snprintf(out + (o < sizeof out - 2 ? o : sizeof out - 2), 2, "\n");
		reply(c, out);
	} else if (strcmp(words[0], "BEFORE") == 0 && words[2]) {
		struct entry *a = lookup(words[1]), *b = lookup(words[2]);

		if (a && b) {
			struct list_head *q = lru.next;

			while (q != &a->lru && q != &b->lru)
				q = q->next;
			reply(c, q == &a->lru && a != b ? "YES\n" : "NO\n");
		} else {
			reply(c, "NONE\n");
		}
	} else if (strcmp(words[0], "VERSION") == 0) {
		reply(c, "VERSION " ILIST_VERSION "\n");
	} else if (strcmp(words[0], "VERIFY") == 0) {
		const char *why = verify();

		if (why)
			snprintf(out, sizeof out, "VERIFY bad %s\n", why);
		else
			snprintf(out, sizeof out, "VERIFY ok keys=%lu conns=%lu\n", nkeys, nconns);
		reply(c, out);
	} else {
		reply(c, "ERR bad request\n");
	}
	arena_reset(&req_arena);
}

static void conn_ready(struct handler *h, unsigned events)
{
	struct conn *c = container_of(h, struct conn, h);
	ssize_t r;
	char *nl;

	(void)events;
	r = read(c->fd, c->in + c->in_len, sizeof c->in - c->in_len);
	if (r <= 0) {
		if (r < 0 && errno == EINTR)
			return;
		conn_close(c);
		return;
	}
	c->in_len += r;
	while ((nl = memchr(c->in, '\n', c->in_len))) {
		size_t n = nl - c->in;

		request(c, c->in, n);
		c->in_len -= n + 1;
		memmove(c->in, nl + 1, c->in_len);
	}
	if (c->in_len == sizeof c->in)
		conn_close(c);
}

static void listener_ready(struct handler *h, unsigned events)
{
	struct listener *l = container_of(h, struct listener, h);
	int fd = accept(l->fd, NULL, NULL), one = 1;
	struct epoll_event ev = { .events = EPOLLIN };
	struct conn *c;

	(void)events;
	if (fd < 0)
		return;
	c = calloc(1, sizeof *c);
	if (!c)
		abort();
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	c->fd = fd;
	snprintf(c->name, sizeof c->name, "c%lu", ++l->accepted);
	c->h.on_ready = conn_ready;
	list_add(&c->link, &conns);
	nconns++;
	ev.data.ptr = &c->h;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		conn_close(c);
}

static void start(const char *port_file)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct epoll_event ev = { .events = EPOLLIN };
	socklen_t len = sizeof sa;
	FILE *f;

	for (int i = 0; i < NCHAINS; i++)
		list_init(&table[i]);
	list_init(&lru);
	list_init(&conns);
	req_arena.cap = 4 * INBUF;
	req_arena.base = malloc(req_arena.cap);
	lsn.fd = socket(AF_INET, SOCK_STREAM, 0);
	lsn.h.on_ready = listener_ready;
	epfd = epoll_create1(EPOLL_CLOEXEC);
	ev.data.ptr = &lsn.h;
	if (!req_arena.base || lsn.fd < 0 || epfd < 0 ||
	    bind(lsn.fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(lsn.fd, 128) < 0 ||
	    getsockname(lsn.fd, (struct sockaddr *)&sa, &len) < 0 ||
	    epoll_ctl(epfd, EPOLL_CTL_ADD, lsn.fd, &ev) < 0) {
		perror("ilist: listen");
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
	struct epoll_event events[32];

	if (argc != 2) {
		fprintf(stderr, "usage: ilist PORT-FILE\n");
		return 2;
	}
	if (!stf_is_updating())
		start(argv[1]);
	for (;;) {
		int n;

		stf_update_point();
		n = epoll_wait(epfd, events, 32, -1);
		if (n < 0 && errno != EINTR) {
			perror("ilist: epoll_wait");
			return 1;
		}
		for (int i = 0; i < n; i++) {
			struct handler *h = events[i].data.ptr;

			h->on_ready(h, events[i].events);
		}
	}
}
