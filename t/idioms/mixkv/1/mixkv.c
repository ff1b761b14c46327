/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * mixkv 1 - an idiom test server of ttst (t/idioms/mixkv.sh) mixing the
 * idioms a held-out server would: libevent events embedded (event_assign)
 * in connections allocated by a size-prefixing wrapper defined in another
 * unit (zmem.c, declared STF_ALLOCATOR in zmem.h); an open-addressing
 * table of `void *` with a (void *)1 tombstone; records behind `void *`
 * with their key and value as bytes in a flexible array; a write
 * generation kept as an integer in a `void *`; freed records' addresses
 * left in a graveyard and in each record's prev_version; a history carved
 * out of a pool that is reset as a whole; a mutable command table of
 * names, handlers, call counters and `void *` integer arguments.
 * Release 2 reorders struct rec and adds a member to it, grows struct
 * conn in front of its event, grows the pool's struct hist, adds a member
 * (flags) to the command table's entries and an entry (STATS) in its
 * middle.  VERIFY checks every record, the counters against the total,
 * the history, every connection's event and the timer.
 *
 * Usage: mixkv PORT-FILE (listens on 127.0.0.1, any free port).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <event2/event.h>
#include <event2/event_struct.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stf.h>
#include "zmem.h"

#define VERSION "VERSION 1"
#define NSLOTS 8192
#define TOMB ((void *)1)

struct rec {
	uint32_t klen, vlen;
	void *gen;            /* an integer: the write generation */
	struct rec *prev_version; /* freed: stale */
	char data[];          /* key, NUL, value, NUL */
};

struct hist { struct hist *next; int op; char key[24]; };

struct conn {
	int fd;
	unsigned nreq;
	struct conn *next;
	struct event ev;
	size_t len;
	char buf[2048];
};

static struct event_base *base;
static struct event *listen_ev, *update_ev, *tick_ev;
static void **slots;         /* NSLOTS: NULL, TOMB or struct rec * */
static size_t nrecs;
static void *graveyard[8];   /* the last freed records: dead pointers */
static unsigned grave_i;
static struct conn *conns;
static struct pool *hpool;
static struct hist *history;
static unsigned nhist;
static unsigned long total_calls;
static unsigned long ticks;

static int c_set(struct conn *, char *);
static int c_get(struct conn *, char *);
static int c_del(struct conn *, char *);
static int c_verify(struct conn *, char *);
static int c_version(struct conn *, char *);

static struct command {
	const char *name;
	int (*fn)(struct conn *, char *);
	unsigned long calls;
	void *arg;               /* an integer flag or NULL */
} commands[] = {
	{ "SET", c_set, 0, (void *)1 },
	{ "GET", c_get, 0, NULL },
	{ "DEL", c_del, 0, (void *)1 },
	{ "VERIFY", c_verify, 0, NULL },
	{ "VERSION", c_version, 0, NULL },
};

static unsigned long hash(const char *s)
{
	unsigned long h = 5381;
	while (*s) h = h * 33 + (unsigned char)*s++;
	return h;
}

static size_t find(const char *key, int for_insert)
{
	size_t i = hash(key) % NSLOTS, tomb = (size_t)-1;
	for (size_t n = 0; n < NSLOTS; n++, i = (i + 1) % NSLOTS) {
		void *s = slots[i];
		if (!s) return for_insert && tomb != (size_t)-1 ? tomb : i;
		if (s == TOMB) { if (tomb == (size_t)-1) tomb = i; continue; }
		if (strcmp(((struct rec *)s)->data, key) == 0) return i;
	}
	return tomb;
}

static void reply(struct conn *c, const char *fmt, const char *s)
{
	char out[2100];
	int n = snprintf(out, sizeof out, fmt, s);
	if (write(c->fd, out, (size_t)n) < 0) {}
}

static void remember(int op, const char *key)
{
	if (nhist == 200) { pool_reset(hpool); history = NULL; nhist = 0; }
	struct hist *h = pool_alloc(hpool, sizeof *h);
	h->next = history; h->op = op;
	snprintf(h->key, sizeof h->key, "%s", key);
	history = h; nhist++;
}

static void bury(struct rec *r)
{
	zfree(r);
	graveyard[grave_i++ % 8] = r;
}

static int c_set(struct conn *c, char *args)
{
	char *sp = strchr(args, ' ');
	if (!sp) { reply(c, "ERROR %s\n", "usage"); return 0; }
	*sp = 0;
	const char *key = args, *val = sp + 1;
	size_t kl = strlen(key), vl = strlen(val);
	struct rec *r = zmalloc(sizeof *r + kl + vl + 2);
	r->klen = (uint32_t)kl; r->vlen = (uint32_t)vl;
	memcpy(r->data, key, kl + 1); memcpy(r->data + kl + 1, val, vl + 1);
	size_t i = find(key, 1);
	struct rec *old = slots[i] && slots[i] != TOMB ? slots[i] : NULL;
	r->gen = (void *)(uintptr_t)(old ? (uintptr_t)old->gen + 1 : 1);
	r->prev_version = old;
	if (old) bury(old); else nrecs++;
	slots[i] = r;
	remember('S', key);
	reply(c, "%s\n", "OK");
	return 0;
}

static int c_get(struct conn *c, char *key)
{
	size_t i = find(key, 0);
	if (i == (size_t)-1 || !slots[i] || slots[i] == TOMB) { reply(c, "%s\n", "NONE"); return 0; }
	struct rec *r = slots[i];
	reply(c, "VALUE %s\n", r->data + r->klen + 1);
	return 0;
}

static int c_del(struct conn *c, char *key)
{
	size_t i = find(key, 0);
	if (i == (size_t)-1 || !slots[i] || slots[i] == TOMB) { reply(c, "%s\n", "NONE"); return 0; }
	bury(slots[i]);
	slots[i] = TOMB; nrecs--;
	remember('D', key);
	reply(c, "%s\n", "OK");
	return 0;
}

static int c_verify(struct conn *c, char *args)
{
	(void)args;
	size_t n = 0, bytes = 0;
	unsigned long calls = 0;
	char why[256] = "";
	for (size_t i = 0; i < NSLOTS; i++) {
		struct rec *r = slots[i];
		if (!r || r == TOMB) continue;
		n++;
		bytes += zsize(r);
		if (strlen(r->data) != r->klen || strlen(r->data + r->klen + 1) != r->vlen)
			snprintf(why, sizeof why, "record %s lengths", r->data);
		if (find(r->data, 0) != i) snprintf(why, sizeof why, "record %s misplaced", r->data);
		if ((uintptr_t)r->gen == 0 || (uintptr_t)r->gen > 1000000)
			snprintf(why, sizeof why, "record %s gen %p", r->data, r->gen);
	}
	if (n != nrecs) snprintf(why, sizeof why, "%zu records, counted %zu", n, nrecs);
	if (bytes > zused) snprintf(why, sizeof why, "zused %zu < %zu", zused, bytes);
	for (size_t k = 0; k < sizeof commands / sizeof *commands; k++) {
		calls += commands[k].calls;
		if (commands[k].fn == c_set && commands[k].arg != (void *)1) snprintf(why, sizeof why, "SET arg");
		if (commands[k].fn == c_get && strcmp(commands[k].name, "GET")) snprintf(why, sizeof why, "GET name");
	}
	if (calls != total_calls) snprintf(why, sizeof why, "calls %lu != %lu", calls, total_calls);
	unsigned nh = 0;
	for (struct hist *h = history; h; h = h->next, nh++)
		if (h->op != 'S' && h->op != 'D') snprintf(why, sizeof why, "history op %d", h->op);
	if (nh != nhist) snprintf(why, sizeof why, "history %u != %u", nh, nhist);
	for (struct conn *k = conns; k; k = k->next)
		if (event_get_fd(&k->ev) != k->fd || !event_pending(&k->ev, EV_READ, NULL))
			snprintf(why, sizeof why, "conn %d event", k->fd);
	if (!event_pending(tick_ev, EV_TIMEOUT, NULL)) snprintf(why, sizeof why, "tick");
	char out[400];
	snprintf(out, sizeof out, "VERIFY %s %zu records\n", why[0] ? why : "ok", n);
	if (why[0]) memcpy(out, "VERIFY bad", 10);
	if (write(c->fd, out, strlen(out)) < 0) {}
	return 0;
}

static int c_version(struct conn *c, char *args)
{
	(void)args;
	reply(c, "%s\n", VERSION);
	return 0;
}

static void drop(struct conn *c)
{
	for (struct conn **p = &conns; *p; p = &(*p)->next)
		if (*p == c) { *p = c->next; break; }
	event_del(&c->ev);
	close(c->fd);
	zfree(c);
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
	struct conn *c = arg;
	(void)what;
	ssize_t n = read(fd, c->buf + c->len, sizeof c->buf - 1 - c->len);
	if (n <= 0) { drop(c); return; }
	c->len += (size_t)n;
	char *nl;
	while ((nl = memchr(c->buf, '\n', c->len))) {
		*nl = 0;
		char *line = c->buf, *sp = strchr(line, ' ');
		if (sp) *sp++ = 0; else sp = line + strlen(line);
		size_t k;
		for (k = 0; k < sizeof commands / sizeof *commands; k++)
			if (strcmp(commands[k].name, line) == 0) break;
		if (k == sizeof commands / sizeof *commands) reply(c, "ERROR %s\n", line);
		else { commands[k].calls++; total_calls++; c->nreq++; commands[k].fn(c, sp); }
		size_t used = (size_t)(nl + 1 - c->buf);
		memmove(c->buf, nl + 1, c->len - used);
		c->len -= used;
	}
	if (c->len == sizeof c->buf - 1) drop(c);
}

static void on_accept(evutil_socket_t fd, short what, void *arg)
{
	(void)what, (void)arg;
	int s = accept(fd, NULL, NULL);
	if (s < 0) return;
	struct conn *c = zcalloc(sizeof *c);
	c->fd = s;
	event_assign(&c->ev, base, s, EV_READ | EV_PERSIST, on_read, c);
	event_add(&c->ev, NULL);
	c->next = conns; conns = c;
}

static void on_tick(evutil_socket_t fd, short what, void *arg) { (void)fd, (void)what, (void)arg; ticks++; }
static void on_update(evutil_socket_t fd, short what, void *arg) { (void)fd, (void)what, (void)arg; stf_update_point(); }

int main(int argc, char **argv)
{
	static const struct timeval tick = { 5, 0 };
	if (argc != 2) return 2;
	if (!stf_is_updating()) {
		int l = socket(AF_INET, SOCK_STREAM, 0), one = 1;
		struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		socklen_t len = sizeof sa;
		setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (bind(l, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(l, 128) < 0) return 1;
		getsockname(l, (struct sockaddr *)&sa, &len);
		FILE *f = fopen(argv[1], "w");
		fprintf(f, "%d\n", ntohs(sa.sin_port)); fclose(f);
		base = event_base_new();
		slots = calloc(NSLOTS, sizeof *slots);
		hpool = pool_new();
		listen_ev = event_new(base, l, EV_READ | EV_PERSIST, on_accept, NULL);
		event_add(listen_ev, NULL);
		tick_ev = event_new(base, -1, EV_PERSIST, on_tick, NULL);
		event_add(tick_ev, &tick);
		update_ev = event_new(base, stf_update_fd(), EV_READ | EV_PERSIST, on_update, NULL);
		event_add(update_ev, NULL);
	} else
		on_update(stf_update_fd(), EV_READ, NULL);
	event_base_dispatch(base);
	return 1;
}
