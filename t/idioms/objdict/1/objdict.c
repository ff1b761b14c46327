/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * objdict 1 - a key-value server written in the idioms of Redis-like
 * data-structure servers, an idiom test server of ttst
 * (t/idioms/objdict.sh).  Single-threaded, poll(), one request line, one
 * reply line:
 *
 *   SET key value -> OK            GET key -> VALUE value | NONE
 *   DEL key       -> OK | NONE     VERSION -> VERSION 1
 *   HIST key      -> HIST n        (older values kept for key)
 *   VERIFY        -> VERIFY ok keys=n ints=n strs=n hist=n | VERIFY bad ...
 *
 * The idioms:
 * - a generic chained hash table whose entries hold `void *key` and
 *   `void *val`, with its hash, compare and destructor functions in a
 *   static `struct dict_type`;
 * - values are `struct obj`s whose `void *ptr` holds, by their encoding,
 *   either the integer itself (a canonical number) or the text of a
 *   string: `buf`, the flexible array of a `struct str` whose length
 *   header lies before it (an interior pointer);
 * - each key's older values in a `struct vec` of `void **items`, grown by
 *   realloc and never cleared: the capacity beyond `n` holds whatever was
 *   there, among it pointers to objects freed since (the oldest value is
 *   dropped when four are kept);
 * - the clients in a static table of `struct conn *` in which a closed
 *   client's pointer stays, freed, beside a separate `alive` flag;
 * - a mutable command table counting its calls.
 *
 * Release 2 (2/objdict.c) adds members to struct obj and struct entry and
 * an entry (KEYS) to the command table.
 *
 * Usage: objdict PORT-FILE (listens on 127.0.0.1, any free port).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stf.h>
#include "../../port-listener.h"

#define OBJDICT_VERSION "1"
#define MAX_CLIENTS 64
#define INBUF 1024
#define HIST_MAX 4

static void *xmalloc(size_t n)
{
	void *p = malloc(n);

	if (!p) {
		fprintf(stderr, "objdict: out of memory\n");
		abort();
	}
	return p;
}

/* ---- Strings with a length header before their bytes. ---- */

struct str {
	uint32_t len;
	uint32_t alloc;
	char buf[];
};

static char *str_new(const char *text)
{
	size_t len = strlen(text);
	struct str *s = xmalloc(sizeof *s + len + 1);

	s->len = len;
	s->alloc = len;
	memcpy(s->buf, text, len + 1);
	return s->buf;
}

static struct str *str_header(const char *buf)
{
	return (struct str *)(buf - offsetof(struct str, buf));
}

static void str_free(char *buf)
{
	free(str_header(buf));
}

/* ---- Values. ---- */

enum { ENC_INT = 1, ENC_STR };

struct obj {
	int encoding;
	int refcount;
	void *ptr;             /* ENC_INT: the long itself; ENC_STR: a str's buf */
};

static struct obj *obj_new(const char *text)
{
	struct obj *o = xmalloc(sizeof *o);
	char *end, canon[32];
	long v;

	errno = 0;
	v = strtol(text, &end, 10);
	snprintf(canon, sizeof canon, "%ld", v);
	o->refcount = 1;
	if (*text && !*end && !errno && strcmp(canon, text) == 0) {
		o->encoding = ENC_INT;
		o->ptr = (void *)v;
	} else {
		o->encoding = ENC_STR;
		o->ptr = str_new(text);
	}
	return o;
}

static void obj_free(void *p)
{
	struct obj *o = p;

	if (--o->refcount > 0)
		return;
	if (o->encoding == ENC_STR)
		str_free(o->ptr);
	free(o);
}

static void obj_format(const struct obj *o, char *out, size_t n)
{
	if (o->encoding == ENC_INT)
		snprintf(out, n, "%ld", (long)o->ptr);
	else
		snprintf(out, n, "%s", (const char *)o->ptr);
}

/* ---- Older values: a vector of `void *`. ---- */

struct vec {
	size_t n, cap;
	void **items;
};

static void vec_push(struct vec *v, void *item)
{
	if (v->n == HIST_MAX) {
		obj_free(v->items[0]);
		/* the last slot keeps its (now duplicated) pointer: capacity */
		memmove(v->items, v->items + 1, (v->n - 1) * sizeof *v->items);
		v->n--;
	}
	if (v->n == v->cap) {
		v->cap = v->cap ? v->cap * 2 : 1;
		v->items = realloc(v->items, v->cap * sizeof *v->items);
	}
	v->items[v->n++] = item;
}

static void vec_free(struct vec *v)
{
	for (size_t i = 0; i < v->n; i++)
		obj_free(v->items[i]);
	free(v->items);
	free(v);
}

/* ---- The generic dictionary. ---- */

struct dict_type {
	unsigned (*hash)(const void *key);
	int (*equal)(const void *a, const void *b);
	void (*free_key)(void *key);
	void (*free_val)(void *val);
};

struct entry {
	void *key;
	void *val;
	void *aux;             /* the key's struct vec of older values */
	struct entry *next;
};

struct dict {
	const struct dict_type *type;
	struct entry **buckets;
	size_t size, used;
};

static struct entry *dict_find(struct dict *d, const void *key, struct entry ***link)
{
	struct entry **l = &d->buckets[d->type->hash(key) & (d->size - 1)];

	for (; *l; l = &(*l)->next)
		if (d->type->equal((*l)->key, key))
			break;
	if (link)
		*link = l;
	return *l;
}

static void dict_grow(struct dict *d)
{
	struct entry **old = d->buckets;
	size_t oldsize = d->size;

	d->size *= 2;
	d->buckets = calloc(d->size, sizeof *d->buckets);
	for (size_t i = 0; i < oldsize; i++) {
		struct entry *e = old[i], *next;

		for (; e; e = next) {
			size_t b = d->type->hash(e->key) & (d->size - 1);

			next = e->next;
			e->next = d->buckets[b];
			d->buckets[b] = e;
		}
	}
	free(old);
}

static unsigned hash_text(const void *key)
{
	const unsigned char *s = key;
	unsigned h = 2166136261u;

	while (*s)
		h = (h ^ *s++) * 16777619u;
	return h;
}

static int equal_text(const void *a, const void *b)
{
	return strcmp(a, b) == 0;
}

static void free_text(void *p)
{
	str_free(p);
}

static const struct dict_type key_value_type = {
	.hash = hash_text,
	.equal = equal_text,
	.free_key = free_text,
	.free_val = obj_free,
};

static struct dict *db;
static unsigned long hist_total;

static void db_set(const char *key, const char *value)
{
	struct entry *e = dict_find(db, key, NULL);

	if (e) {
		struct vec *v = e->aux;
		size_t kept = v->n;

		vec_push(v, e->val);
		hist_total += v->n - kept;
	} else {
		struct entry **b;

		e = xmalloc(sizeof *e);
		e->key = str_new(key);
		e->aux = calloc(1, sizeof(struct vec));
		b = &db->buckets[db->type->hash(key) & (db->size - 1)];
		e->next = *b;
		*b = e;
		if (++db->used > db->size)
			dict_grow(db);
	}
	e->val = obj_new(value);
}

static int db_del(const char *key)
{
	struct entry **link, *e = dict_find(db, key, &link);
	struct vec *v;

	if (!e)
		return 0;
	*link = e->next;
	v = e->aux;
	hist_total -= v->n;
	vec_free(v);
	db->type->free_key(e->key);
	db->type->free_val(e->val);
	free(e);
	db->used--;
	return 1;
}

/* ---- VERIFY. ---- */

static char verify_why[200];

static int bad(const char *what, const void *key)
{
	snprintf(verify_why, sizeof verify_why, "%s (key '%s')", what, key ? (const char *)key : "");
	return -1;
}

static int obj_ok(const struct obj *o)
{
	if (o->refcount != 1)
		return 0;
	if (o->encoding == ENC_INT)
		return 1;
	return o->encoding == ENC_STR && str_header(o->ptr)->len == strlen(o->ptr) &&
	       str_header(o->ptr)->alloc == str_header(o->ptr)->len;
}

struct census {
	unsigned long keys, ints, strs, hist;
};

static int verify_db(struct census *c)
{
	memset(c, 0, sizeof *c);
	for (size_t i = 0; i < db->size; i++) {
		for (const struct entry *e = db->buckets[i]; e; e = e->next) {
			const struct obj *o = e->val;
			const struct vec *v = e->aux;

			c->keys++;
			if ((db->type->hash(e->key) & (db->size - 1)) != i)
				return bad("key not in its bucket", e->key);
			if (str_header(e->key)->len != strlen(e->key))
				return bad("key's length header", e->key);
			if (!obj_ok(o))
				return bad("value object", e->key);
			c->ints += o->encoding == ENC_INT;
			c->strs += o->encoding == ENC_STR;
			if (v->n > HIST_MAX || v->n > v->cap)
				return bad("history counters", e->key);
			for (size_t j = 0; j < v->n; j++)
				if (!obj_ok(v->items[j]))
					return bad("older value object", e->key);
			c->hist += v->n;
		}
	}
	if (c->keys != db->used || c->hist != hist_total)
		return bad("dictionary counters", NULL);
	return 0;
}

/* ---- Clients. ---- */

struct conn {
	int fd;
	size_t inlen;
	unsigned long requests;
	char in[INBUF];
};

static struct conn *conns[MAX_CLIENTS];   /* a closed client's stays, freed */
static unsigned char alive[MAX_CLIENTS];

static void reply(struct conn *c, const char *text)
{
	size_t len = strlen(text), done = 0;

	while (done < len) {
		ssize_t n = send(c->fd, text + done, len - done, MSG_NOSIGNAL);

		if (n < 0 && errno != EINTR)
			return;   /* the client is gone; the next read says so */
		done += n > 0 ? n : 0;
	}
}

/* ---- Commands. ---- */

struct cmd {
	const char *name;
	int args;                      /* words after the name */
	void (*run)(struct conn *c, char **argv);
	unsigned long calls;
};

static void cmd_set(struct conn *c, char **argv)
{
	db_set(argv[1], argv[2]);
	reply(c, "OK\n");
}

static void cmd_get(struct conn *c, char **argv)
{
	struct entry *e = dict_find(db, argv[1], NULL);
	char text[256], out[300];

	if (!e) {
		reply(c, "NONE\n");
		return;
	}
	obj_format(e->val, text, sizeof text);
	snprintf(out, sizeof out, "VALUE %s\n", text);
	reply(c, out);
}

static void cmd_del(struct conn *c, char **argv)
{
	reply(c, db_del(argv[1]) ? "OK\n" : "NONE\n");
}

static void cmd_hist(struct conn *c, char **argv)
{
	struct entry *e = dict_find(db, argv[1], NULL);
	char out[64];

	snprintf(out, sizeof out, "HIST %zu\n", e ? ((struct vec *)e->aux)->n : 0);
	reply(c, out);
}

static void cmd_version(struct conn *c, char **argv)
{
	(void)argv;
	reply(c, "VERSION " OBJDICT_VERSION "\n");
}

static unsigned long verified_calls(void);

static void cmd_verify(struct conn *c, char **argv)
{
	struct census n;
	char out[300];

	(void)argv;
	if (verify_db(&n) < 0)
		snprintf(out, sizeof out, "VERIFY bad %s\n", verify_why);
	else if (verified_calls())
		snprintf(out, sizeof out, "VERIFY bad %s\n", verify_why);
	else
		snprintf(out, sizeof out, "VERIFY ok keys=%lu ints=%lu strs=%lu hist=%lu\n", n.keys,
			 n.ints, n.strs, n.hist);
	reply(c, out);
}

static struct cmd commands[] = {
	{ "SET", 2, cmd_set, 0 },
	{ "GET", 1, cmd_get, 0 },
	{ "DEL", 1, cmd_del, 0 },
	{ "HIST", 1, cmd_hist, 0 },
	{ "VERSION", 0, cmd_version, 0 },
	{ "VERIFY", 0, cmd_verify, 0 },
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static unsigned long requests_total;

/* Nonzero when the command table's counts and the clients' disagree. */
static unsigned long verified_calls(void)
{
	unsigned long sum = 0;

	for (size_t i = 0; i < NCOMMANDS; i++) {
		if (!commands[i].name || !commands[i].run)
			return bad("command table entry", commands[i].name), 1;
		sum += commands[i].calls;
	}
	if (sum + 1 != requests_total)   /* this VERIFY is counted after it */
		return bad("command calls against requests", NULL), 1;
	return 0;
}

static void handle_request(struct conn *c, char *line)
{
	char *argv[4] = { line };
	int argc = 1;

	while (argc < 3 && (argv[argc] = strchr(argv[argc - 1], ' ')))
		*argv[argc++]++ = '\0';
	requests_total++;
	c->requests++;
	for (size_t i = 0; i < NCOMMANDS; i++) {
		if (strcmp(commands[i].name, line) == 0 && argc - 1 >= commands[i].args) {
			commands[i].run(c, argv);
			commands[i].calls++;
			return;
		}
	}
	requests_total--;
	reply(c, "ERR bad request\n");
}

/* Execute the complete lines received; -1 when the client is gone. */
static int conn_read(struct conn *c)
{
	char *nl;
	ssize_t n = read(c->fd, c->in + c->inlen, INBUF - c->inlen);

	if (n < 0)
		return errno == EINTR ? 0 : -1;
	if (n == 0)
		return -1;
	c->inlen += n;
	while ((nl = memchr(c->in, '\n', c->inlen))) {
		size_t len = nl + 1 - c->in;

		*nl = '\0';
		handle_request(c, c->in);
		memmove(c->in, nl + 1, c->inlen - len);
		c->inlen -= len;
	}
	return c->inlen == INBUF ? -1 : 0;
}

static void conn_close(int i)
{
	close(conns[i]->fd);
	free(conns[i]);     /* its pointer stays in conns[i] */
	alive[i] = 0;
}

static void accept_client(int lfd)
{
	int fd = accept(lfd, NULL, NULL), one = 1, i;

	if (fd < 0)
		return;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	for (i = 0; i < MAX_CLIENTS && alive[i]; i++)
		;
	if (i == MAX_CLIENTS) {
		close(fd);
		return;
	}
	conns[i] = xmalloc(sizeof *conns[i]);
	conns[i]->fd = fd;
	conns[i]->inlen = 0;
	conns[i]->requests = 0;
	alive[i] = 1;
}

static int listen_fd = -1;

int main(int argc, char **argv)
{
	struct pollfd pfd[MAX_CLIENTS + 1];

	if (argc != 2) {
		fprintf(stderr, "usage: objdict PORT-FILE\n");
		return 2;
	}
	if (!stf_is_updating()) {
		db = calloc(1, sizeof *db);
		db->type = &key_value_type;
		db->size = 16;
		db->buckets = calloc(db->size, sizeof *db->buckets);
		listen_fd = listen_loopback("objdict", SOCK_STREAM, argv[1]);
	}
	for (;;) {
		stf_update_point();
		pfd[0] = (struct pollfd){ .fd = listen_fd, .events = POLLIN };
		for (int i = 0; i < MAX_CLIENTS; i++)
			pfd[i + 1] = (struct pollfd){ .fd = alive[i] ? conns[i]->fd : -1,
						      .events = POLLIN };
		if (poll(pfd, MAX_CLIENTS + 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			perror("objdict: poll");
			return 1;
		}
		if (pfd[0].revents & POLLIN)
			accept_client(listen_fd);
		for (int i = 0; i < MAX_CLIENTS; i++)
			if (alive[i] && (pfd[i + 1].revents & (POLLIN | POLLHUP | POLLERR)) &&
			    conn_read(conns[i]) < 0)
				conn_close(i);
	}
}
