/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * robjd - a key-value server of typed values over epoll, an idiom test
 * server of ttst (t/idioms/robjd.sh, wave 22's hunt), written as a small
 * Redis-like server is.  Every block comes from zmalloc(), a
 * size-prefixing wrapper whose 16-byte header holds the block's size, its
 * type and a reference count; a key's value is a `void *` whose type only
 * that header tells: a string (raw bytes, their length the header's
 * size), a list (nodes holding `void *` to string objects) or a counter.
 * COPY makes two keys share one object (its count 2).  Protocol:
 *
 *   SET key value -> OK            GET key -> VALUE text | NONE
 *   DEL key       -> OK | NONE     VERSION -> VERSION robjd REL
 *   PUSH key text -> LEN n         INCR key -> COUNT n
 *   COPY key new  -> OK | NONE     TYPE key -> TYPE string|list|counter
 *   VERIFY        -> VERIFY ok ... | VERIFY bad ...
 *
 * A list's GET is its texts joined by commas, a counter's its number
 * followed by its unit's name.  Release 2 grows the list in its middle
 * and gives each counter a pointer to its unit (never NULL: set at
 * creation, and by an stf_on_member() callback for release 1's counters).
 *
 * Usage: robjd PORT-FILE
 */
#define _GNU_SOURCE
#ifdef IDIOM_O0
#pragma GCC optimize("O0")   /* the -O0 build of its test (-O2 by default) */
#endif
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stf.h>

#include "../port-listener.h"

#ifndef REL
#define REL 1
#endif

/* ---- the allocator: a 16-byte header before each block */

enum otype { T_RAW = 0x10, T_STRING, T_LIST, T_NODE, T_COUNTER, T_ENTRY, T_CONN };

struct zhdr {
	uint64_t size;
	uint32_t type;
	uint32_t refcount;
};

static unsigned long zblocks;

STF_ALLOCATOR void *zmalloc(size_t size, enum otype type);

void *zmalloc(size_t size, enum otype type)
{
	struct zhdr *h = malloc(sizeof *h + size);

	if (!h)
		abort();
	h->size = size;
	h->type = type;
	h->refcount = 1;
	zblocks++;
	return h + 1;
}

static struct zhdr *hdr(const void *p)
{
	return (struct zhdr *)p - 1;
}

static void zfree(void *p)
{
	hdr(p)->type = 0;
	free(hdr(p));
	zblocks--;
}

/* ---- values */

struct lnode {
	struct lnode *next;
	void *value;               /* a string object */
};

struct list {
	struct lnode *head;
#if REL >= 2
	unsigned long pushes;
#endif
	struct lnode *tail;
	unsigned long len;
};

#if REL >= 2
struct unit {
	const char *name;
	long scale;
};
static const struct unit default_unit = { "hits", 1 };
#endif

struct counter {
	long value;
#if REL >= 2
	const struct unit *unit;
#endif
};

static void *string_new(const char *s)
{
	size_t n = strlen(s);
	char *o = zmalloc(n, T_STRING);

	memcpy(o, s, n);
	return o;
}

static void decref(void *o)
{
	struct zhdr *h = hdr(o);

	if (--h->refcount > 0)
		return;
	if (h->type == T_LIST) {
		struct list *l = o;

		for (struct lnode *n = l->head, *next; n; n = next) {
			next = n->next;
			decref(n->value);
			zfree(n);
		}
	}
	zfree(o);
}

/* ---- the store */

struct entry {
	char *key;                 /* a T_RAW block, NUL-terminated */
	void *val;
	struct entry *next;
};

#define NBUCKETS 1024
static struct entry *dict[NBUCKETS];
static unsigned long nkeys;

static unsigned bucket(const char *k)
{
	unsigned h = 0;

	while (*k)
		h = h * 131 + (unsigned char)*k++;
	return h % NBUCKETS;
}

static struct entry **find(const char *k)
{
	struct entry **pp = &dict[bucket(k)];

	while (*pp && strcmp((*pp)->key, k))
		pp = &(*pp)->next;
	return pp;
}

/* Stores o under k (taking the caller's reference). */
static void store(const char *k, void *o)
{
	struct entry **pp = find(k), *e = *pp;

	if (e) {
		decref(e->val);
	} else {
		size_t n = strlen(k) + 1;

		e = zmalloc(sizeof *e, T_ENTRY);
		e->key = zmalloc(n, T_RAW);
		memcpy(e->key, k, n);
		e->next = NULL;
		*pp = e;
		nkeys++;
	}
	e->val = o;
}

static int del(const char *k)
{
	struct entry **pp = find(k), *e = *pp;

	if (!e)
		return 0;
	*pp = e->next;
	decref(e->val);
	zfree(e->key);
	zfree(e);
	nkeys--;
	return 1;
}

/* ---- connections */

struct conn {
	int fd;
	size_t len;
	unsigned long requests;
	char buf[2048];
};

static int listen_fd, ep;

static void reply(struct conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void reply(struct conn *c, const char *fmt, ...)
{
	char out[4096];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(out, sizeof out, fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof out)
		n = sizeof out - 1;
	if (write(c->fd, out, n) != n)
		shutdown(c->fd, SHUT_RDWR);
}

static void get(struct conn *c, const char *k)
{
	struct entry *e = *find(k);
	char text[3000];
	size_t used = 0;

	if (!e) {
		reply(c, "NONE\n");
		return;
	}
	switch (hdr(e->val)->type) {
	case T_STRING:
		reply(c, "VALUE %.*s\n", (int)hdr(e->val)->size, (char *)e->val);
		break;
	case T_LIST:
		for (struct lnode *n = ((struct list *)e->val)->head; n; n = n->next) {
			int w = snprintf(text + used, sizeof text - used, "%s%.*s", used ? "," : "",
					 (int)hdr(n->value)->size, (char *)n->value);

			if (w < 0 || (size_t)w >= sizeof text - used)
				break;
			used += w;
		}
		text[used] = '\0';
		reply(c, "VALUE %s\n", text);
		break;
	case T_COUNTER: {
		struct counter *ct = e->val;
#if REL >= 2
		reply(c, "VALUE %ld %s\n", ct->value * ct->unit->scale, ct->unit->name);
#else
		reply(c, "VALUE %ld hits\n", ct->value);
#endif
		break;
	}
	default:
		reply(c, "ERR bad object\n");
	}
}

static void push(struct conn *c, const char *k, const char *text)
{
	struct entry *e = *find(k);
	struct list *l;
	struct lnode *n;

	if (!e) {
		l = zmalloc(sizeof *l, T_LIST);
		memset(l, 0, sizeof *l);
		store(k, l);
	} else if (hdr(e->val)->type != T_LIST) {
		reply(c, "ERR wrong type\n");
		return;
	} else {
		l = e->val;
	}
	n = zmalloc(sizeof *n, T_NODE);
	n->next = NULL;
	n->value = string_new(text);
	if (l->tail)
		l->tail->next = n;
	else
		l->head = n;
	l->tail = n;
	l->len++;
#if REL >= 2
	l->pushes++;
#endif
	reply(c, "LEN %lu\n", l->len);
}

static void incr(struct conn *c, const char *k)
{
	struct entry *e = *find(k);
	struct counter *ct;

	if (!e) {
		ct = zmalloc(sizeof *ct, T_COUNTER);
		ct->value = 0;
#if REL >= 2
		ct->unit = &default_unit;
#endif
		store(k, ct);
	} else if (hdr(e->val)->type != T_COUNTER) {
		reply(c, "ERR wrong type\n");
		return;
	} else {
		ct = e->val;
	}
	reply(c, "COUNT %ld\n", ++ct->value);
}

static void copy(struct conn *c, const char *k, const char *to)
{
	struct entry *e = *find(k);

	if (!e || !strcmp(k, to)) {
		reply(c, "NONE\n");
		return;
	}
	hdr(e->val)->refcount++;
	store(to, e->val);
	reply(c, "OK\n");
}

static const char *type_name(const void *o)
{
	switch (hdr(o)->type) {
	case T_STRING: return "string";
	case T_LIST: return "list";
	case T_COUNTER: return "counter";
	}
	return "?";
}

static const char *verify(unsigned long *blocks)
{
	static char why[200];
	unsigned long n = 0;

	*blocks = 0;
	for (int b = 0; b < NBUCKETS; b++)
		for (struct entry *e = dict[b]; e; e = e->next) {
			struct zhdr *h = hdr(e->val);

			n++;
			if (hdr(e)->type != T_ENTRY || hdr(e->key)->type != T_RAW ||
			    hdr(e->key)->size != strlen(e->key) + 1 || bucket(e->key) != (unsigned)b) {
				snprintf(why, sizeof why, "entry %s", e->key);
				return why;
			}
			if (h->refcount == 0 || h->refcount > 16) {
				snprintf(why, sizeof why, "%s's value counted %u", e->key, h->refcount);
				return why;
			}
			if (h->type == T_LIST) {
				struct list *l = e->val;
				unsigned long len = 0;
				struct lnode *last = NULL;

				if (h->size != sizeof *l)
					return "a list's size";
				for (struct lnode *nd = l->head; nd; nd = nd->next) {
					if (hdr(nd)->type != T_NODE || hdr(nd->value)->type != T_STRING)
						return "a list's node";
					len++;
					last = nd;
				}
				if (len != l->len || last != l->tail)
					return "a list's length or tail";
#if REL >= 2
				if (l->pushes > l->len)
					return "a list's pushes";
#endif
			} else if (h->type == T_COUNTER) {
				struct counter *ct = e->val;

				if (h->size != sizeof *ct)
					return "a counter's size";
#if REL >= 2
				if (ct->unit != &default_unit) {
					snprintf(why, sizeof why, "counter %s without its unit", e->key);
					return why;
				}
#endif
			} else if (h->type != T_STRING) {
				snprintf(why, sizeof why, "%s's value of type %#x", e->key, h->type);
				return why;
			}
		}
	if (n != nkeys)
		return "keys counted wrong";
	*blocks = zblocks;
	return NULL;
}

static void request(struct conn *c, char *line)
{
	char *cmd = strtok(line, " "), *a = strtok(NULL, " "), *b = strtok(NULL, "");
	struct entry *e;
	unsigned long blocks;
	const char *why;

	c->requests++;
	if (!cmd)
		reply(c, "ERR empty\n");
	else if (!strcmp(cmd, "SET") && a && b) {
		store(a, string_new(b));
		reply(c, "OK\n");
	} else if (!strcmp(cmd, "GET") && a)
		get(c, a);
	else if (!strcmp(cmd, "DEL") && a)
		reply(c, del(a) ? "OK\n" : "NONE\n");
	else if (!strcmp(cmd, "PUSH") && a && b)
		push(c, a, b);
	else if (!strcmp(cmd, "INCR") && a)
		incr(c, a);
	else if (!strcmp(cmd, "COPY") && a && b)
		copy(c, a, b);
	else if (!strcmp(cmd, "TYPE") && a) {
		e = *find(a);
		if (e)
			reply(c, "TYPE %s\n", type_name(e->val));
		else
			reply(c, "NONE\n");
	}
	else if (!strcmp(cmd, "VERSION"))
		reply(c, "VERSION robjd %d\n", REL);
	else if (!strcmp(cmd, "VERIFY")) {
		why = verify(&blocks);
		if (why)
			reply(c, "VERIFY bad %s\n", why);
		else
			reply(c, "VERIFY ok keys=%lu blocks=%lu\n", nkeys, blocks);
	} else
		reply(c, "ERR unknown\n");
}

static void conn_input(struct conn *c)
{
	ssize_t n = read(c->fd, c->buf + c->len, sizeof c->buf - c->len - 1);
	char *start, *nl;

	if (n <= 0 && !(n < 0 && errno == EAGAIN)) {
		epoll_ctl(ep, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
		zfree(c);
		return;
	}
	if (n <= 0)
		return;
	c->len += n;
	c->buf[c->len] = '\0';
	for (start = c->buf; (nl = strchr(start, '\n')); start = nl + 1) {
		*nl = '\0';
		request(c, start);
	}
	c->len -= start - c->buf;
	memmove(c->buf, start, c->len);
}

#if REL >= 2
/* Counters of release 1 get the default unit. */
static int unit_of_old_counter(struct stf_xfer *x, const struct stf_value *src, struct stf_value *dst,
			       void *arg)
{
	const struct unit *u = &default_unit;

	(void)x, (void)src, (void)arg;
	memcpy(dst->addr, &u, sizeof u);
	return STF_CB_DONE;
}
#endif

int main(int argc, char **argv)
{
	struct epoll_event ev = { .events = EPOLLIN };

	if (argc != 2) {
		fprintf(stderr, "usage: robjd PORT-FILE\n");
		return 2;
	}
#if REL >= 2
	stf_on_member("struct counter", "unit", STF_FORWARD, unit_of_old_counter, NULL);
#endif
	if (!stf_is_updating()) {
		listen_fd = listen_loopback("robjd", SOCK_STREAM, argv[1]);
		ep = epoll_create1(0);
		ev.data.ptr = NULL;
		epoll_ctl(ep, EPOLL_CTL_ADD, listen_fd, &ev);
		ev.data.ptr = &listen_fd;
		epoll_ctl(ep, EPOLL_CTL_ADD, stf_update_fd(), &ev);
	}
	for (;;) {
		struct epoll_event evs[32];
		int n;

		stf_update_point();
		n = epoll_wait(ep, evs, 32, 1000);
		for (int i = 0; i < n; i++) {
			if (evs[i].data.ptr == NULL) {
				int fd = accept(listen_fd, NULL, NULL);
				struct conn *c;

				if (fd < 0)
					continue;
				c = zmalloc(sizeof *c, T_CONN);
				c->fd = fd;
				c->len = 0;
				c->requests = 0;
				ev.data.ptr = c;
				epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
			} else if (evs[i].data.ptr != &listen_fd) {
				conn_input(evs[i].data.ptr);
			}
		}
	}
}
