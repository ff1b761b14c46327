/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tagq - a key-value server on libev that keeps integers where pointers
 * go, as space-saving C code does (wave 23's hunt, issue 8):
 *   - a value is one `void *` with a tag in its two low bits: 0 an owned
 *     text (`struct text *`), 1 a small integer shifted left by 2, 2 an
 *     interned text (`struct blob *` | 2, shared and counted);
 *   - interned blobs in their own hash table; a blob whose count drops
 *     to 0 goes to a free list threaded through the dead blobs' first
 *     word and is reused by the next text interned;
 *   - connections known by an `intptr_t` id: a table of 64 slots indexed
 *     by id (never cleared when a connection closes: a bitmap says
 *     which are open), the id in each watcher's `data`
 *     (`(void *)(intptr_t)id`), entries remember the id of the
 *     connection that wrote them;
 *   - the update point in an ev_check watcher, the update descriptor
 *     watched by an ev_io, a repeating ev_timer counting ticks.
 * Release 2 grows the entry in its middle (a read count), the blob (its
 * hash and a read count: 48 bytes, not 32) and the connection.
 *
 * Protocol: SET k v -> OK (integers of up to 9 digits kept in the
 * pointer, texts of up to 15 bytes interned), GET k -> VALUE v | NONE,
 * DEL k -> OK | NONE, TYPE k -> TYPE int|text|blob|none, WHO k -> WHO id
 * open|closed | NONE, BLOBS -> BLOBS interned free, VERSION, VERIFY.
 * Usage: tagq PORT-FILE
 */
#define _GNU_SOURCE
#include <errno.h>
#include <ev.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stf.h>

#ifdef BUILD_O0
#pragma GCC optimize("O0") /* the build run by tagq-O0.sh */
#endif

#include "../port-listener.h"

#ifndef REL
#define REL 1
#endif

#define INBUF 512
#define NBUCKETS 512
#define NSLOTS 64
#define INTERN_MAX 15

enum tag { TAG_TEXT = 0, TAG_INT = 1, TAG_BLOB = 2, TAG_MASK = 3 };

struct text {
	size_t len;
	char s[];
};

struct blob {
	struct blob *next; /* in its bucket; the free list's link when dead */
	unsigned refs;
#if REL >= 2
	unsigned long hash;  /* new in 2: its bucket + 1, 0 in blobs release 1 made */
	unsigned long reads; /* new in 2: so the blob outgrows its block */
#endif
	char s[INTERN_MAX + 1];
};

struct entry {
	struct entry *next;
	char *key;
	intptr_t writer; /* the id of the connection that set it */
#if REL >= 2
	unsigned long reads; /* new in 2, in the middle */
#endif
	void *val; /* tagged */
};

struct conn {
	intptr_t id;
	int fd;
#if REL >= 2
	unsigned long requests; /* new in 2 */
#endif
	ev_io io; /* data: the id */
	size_t inlen;
	char in[INBUF];
};

static struct entry *buckets[NBUCKETS];
static struct blob *interned[NBUCKETS];
static struct blob *free_blobs;
static size_t nblobs, nfree, nentries;
static struct conn *by_id[NSLOTS]; /* closed ones keep their pointer */
static uint64_t open_ids;          /* bit id % NSLOTS: by_id's is open */
static intptr_t next_id = 1;
static unsigned long ticks;
static struct ev_loop *loop;
static ev_io listen_w, update_w;
static ev_check update_check;
static ev_timer tick_w;

#include "../line-conn.h"

static unsigned hash(const char *s)
{
	unsigned h = 0;

	while (*s)
		h = h * 31 + (unsigned char)*s++;
	return h % NBUCKETS;
}

static void *tag_int(long n)
{
	return (void *)(((uintptr_t)n << 2) | TAG_INT);
}

static long int_of(void *v)
{
	return (long)((intptr_t)v >> 2);
}

static enum tag tag_of(void *v)
{
	return (enum tag)((uintptr_t)v & TAG_MASK);
}

static struct blob *blob_of(void *v)
{
	return (struct blob *)((uintptr_t)v & ~(uintptr_t)TAG_MASK);
}

static void *intern(const char *s)
{
	struct blob **p = &interned[hash(s)], *b;

	while (*p && strcmp((*p)->s, s))
		p = &(*p)->next;
	if (!*p) {
		if ((b = free_blobs)) {
			free_blobs = b->next;
			nfree--;
		} else {
			b = malloc(sizeof *b);
		}
		b->next = NULL;
		b->refs = 0;
#if REL >= 2
		b->hash = hash(s) + 1;
#endif
		strcpy(b->s, s);
		*p = b;
		nblobs++;
	}
	(*p)->refs++;
	return (void *)((uintptr_t)*p | TAG_BLOB);
}

static void value_drop(void *v)
{
	struct blob **p, *b;

	if (tag_of(v) == TAG_TEXT) {
		free(v);
	} else if (tag_of(v) == TAG_BLOB && !--(b = blob_of(v))->refs) {
		for (p = &interned[hash(b->s)]; *p != b; p = &(*p)->next)
			;
		*p = b->next;
		b->next = free_blobs; /* its text stays: the free list is through dead blobs */
		free_blobs = b;
		nblobs--;
		nfree++;
	}
}

/* An integer of up to 9 digits, a short text interned, a long one owned. */
static void *value_of(const char *s)
{
	size_t len = strlen(s);
	char *end;
	long n = strtol(s, &end, 10);
	struct text *t;

	if (len && len <= 9 && !*end && (s[0] != '0' || len == 1) && s[0] != '+' && s[0] != '-')
		return tag_int(n);
	if (len <= INTERN_MAX)
		return intern(s);
	t = malloc(sizeof *t + len + 1);
	t->len = len;
	memcpy(t->s, s, len + 1);
	return t;
}

static struct entry **find(const char *key)
{
	struct entry **e = &buckets[hash(key)];

	while (*e && strcmp((*e)->key, key))
		e = &(*e)->next;
	return e;
}

static int id_open(intptr_t id)
{
	return (open_ids >> (id % NSLOTS) & 1) && by_id[id % NSLOTS]->id == id;
}

static void verify(struct conn *c)
{
	size_t n = 0, blobs = 0, dead = 0, conns = 0;
	unsigned long refs = 0, uses = 0;

	for (size_t i = 0; i < NBUCKETS; i++)
		for (struct entry *e = buckets[i]; e; e = e->next) {
			n++;
			if (hash(e->key) != i || e->writer <= 0 || e->writer >= next_id) {
				reply(c, "VERIFY bad entry %s\n", e->key);
				return;
			}
			if (tag_of(e->val) == TAG_BLOB) {
				uses++;
				if (*find(e->key) != e || interned[hash(blob_of(e->val)->s)] == NULL) {
					reply(c, "VERIFY bad blob of %s\n", e->key);
					return;
				}
			} else if (tag_of(e->val) == TAG_TEXT) {
				struct text *t = e->val;
				if (strlen(t->s) != t->len || t->len <= INTERN_MAX) {
					reply(c, "VERIFY bad text of %s\n", e->key);
					return;
				}
			} else if (tag_of(e->val) != TAG_INT || int_of(e->val) < 0 || int_of(e->val) > 999999999) {
				reply(c, "VERIFY bad value of %s\n", e->key);
				return;
			}
		}
	for (size_t i = 0; i < NBUCKETS; i++)
		for (struct blob *b = interned[i]; b; b = b->next) {
			blobs++;
			refs += b->refs;
#if REL >= 2
			if (b->hash && b->hash != i + 1) {
				reply(c, "VERIFY blob %s: hash %lu in bucket %zu\n", b->s, b->hash - 1, i);
				return;
			}
#endif
			if (hash(b->s) != i || !b->refs) {
				reply(c, "VERIFY bad blob %s\n", b->s);
				return;
			}
		}
	for (struct blob *b = free_blobs; b; b = b->next)
		dead++;
	for (int s = 0; s < NSLOTS; s++)
		if (open_ids >> s & 1) {
			if (by_id[s]->id % NSLOTS != s || (intptr_t)by_id[s]->io.data != by_id[s]->id) {
				reply(c, "VERIFY bad connection in slot %d\n", s);
				return;
			}
			conns++;
		}
	if (n != nentries || blobs != nblobs || dead != nfree || refs != uses) {
		reply(c, "VERIFY counts: %zu entries of %zu, %zu blobs of %zu, %zu free of %zu, refs %lu, uses %lu\n",
		      n, nentries, blobs, nblobs, dead, nfree, refs, uses);
		return;
	}
	reply(c, "VERIFY ok keys=%zu blobs=%zu free=%zu conns=%zu\n", n, blobs, dead, conns);
}

static void command(struct conn *c, char *line)
{
	char *av[3] = { 0 }, *p = line;
	struct entry **ep, *e;
	int ac = 0;

#if REL >= 2
	c->requests++;
#endif
	while (ac < 3 && (av[ac] = strsep(&p, " ")))
		if (*av[ac])
			ac++;
	ep = ac >= 2 ? find(av[1]) : NULL;
	e = ep ? *ep : NULL;
	if (ac == 1 && !strcmp(av[0], "VERSION")) {
		reply(c, "VERSION tagq %d\n", REL);
	} else if (ac == 1 && !strcmp(av[0], "VERIFY")) {
		verify(c);
	} else if (ac == 1 && !strcmp(av[0], "BLOBS")) {
		reply(c, "BLOBS %zu %zu %lu\n", nblobs, nfree, ticks);
	} else if (ac == 3 && !strcmp(av[0], "SET")) {
		void *v = value_of(av[2]);
		if (e) {
			value_drop(e->val);
		} else {
			e = calloc(1, sizeof *e);
			e->key = strdup(av[1]);
			*ep = e;
			nentries++;
		}
		e->val = v;
		e->writer = c->id;
		reply(c, "OK\n");
	} else if (ac == 2 && !strcmp(av[0], "GET")) {
		if (!e)
			reply(c, "NONE\n");
		else if (tag_of(e->val) == TAG_INT)
			reply(c, "VALUE %ld\n", int_of(e->val));
		else if (tag_of(e->val) == TAG_BLOB)
			reply(c, "VALUE %s\n", blob_of(e->val)->s);
		else
			reply(c, "VALUE %s\n", ((struct text *)e->val)->s);
#if REL >= 2
		if (e && tag_of(e->val) == TAG_BLOB)
			blob_of(e->val)->reads++;
		if (e)
			e->reads++;
#endif
	} else if (ac == 2 && !strcmp(av[0], "DEL")) {
		if (e) {
			*ep = e->next;
			value_drop(e->val);
			free(e->key);
			free(e);
			nentries--;
		}
		reply(c, e ? "OK\n" : "NONE\n");
	} else if (ac == 2 && !strcmp(av[0], "TYPE")) {
		static const char *const names[] = { "text", "int", "blob" };
		reply(c, "TYPE %s\n", e ? names[tag_of(e->val)] : "none");
	} else if (ac == 2 && !strcmp(av[0], "WHO")) {
		if (e)
			reply(c, "WHO %ld %s\n", (long)e->writer, id_open(e->writer) ? "open" : "closed");
		else
			reply(c, "NONE\n");
	} else {
		reply(c, "ERROR unknown\n");
	}
}

static void on_read(struct ev_loop *l, ev_io *w, int revents)
{
	struct conn *c = by_id[(intptr_t)w->data % NSLOTS];

	(void)revents;
	if (read_lines(c, c->in, &c->inlen, INBUF, command) < 0) {
		ev_io_stop(l, &c->io);
		close(c->fd);
		open_ids &= ~((uint64_t)1 << c->id % NSLOTS);
		free(c); /* by_id keeps the pointer */
	}
}

static void on_accept(struct ev_loop *l, ev_io *w, int revents)
{
	int fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK);
	struct conn *c;
	intptr_t id;

	(void)revents;
	if (fd < 0)
		return;
	for (id = next_id; open_ids >> (id % NSLOTS) & 1; id++)
		if (id - next_id == NSLOTS) {
			close(fd);
			return;
		}
	next_id = id + 1;
	c = calloc(1, sizeof *c);
	c->id = id;
	c->fd = fd;
	ev_io_init(&c->io, on_read, fd, EV_READ);
	c->io.data = (void *)id;
	ev_io_start(l, &c->io);
	by_id[id % NSLOTS] = c;
	open_ids |= (uint64_t)1 << id % NSLOTS;
}

static void on_tick(struct ev_loop *l, ev_timer *w, int revents)
{
	(void)l, (void)w, (void)revents;
	ticks++;
}

/* After every poll: the update point. */
static void on_check(struct ev_loop *l, ev_check *w, int revents)
{
	(void)l, (void)w, (void)revents;
	stf_update_point();
}

/* stf_update_fd() is readable: the loop wakes up and checks. */
static void on_update_fd(struct ev_loop *l, ev_io *w, int revents)
{
	(void)l, (void)w, (void)revents;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: tagq PORT-FILE\n");
		return 2;
	}
	if (!stf_is_updating()) {
		loop = ev_default_loop(0);
		ev_io_init(&listen_w, on_accept,
			   listen_loopback("tagq", SOCK_STREAM | SOCK_NONBLOCK, argv[1]), EV_READ);
		ev_io_start(loop, &listen_w);
		ev_io_init(&update_w, on_update_fd, stf_update_fd(), EV_READ);
		ev_io_start(loop, &update_w);
		ev_check_init(&update_check, on_check);
		ev_check_start(loop, &update_check);
		ev_timer_init(&tick_w, on_tick, 0.05, 0.05);
		ev_timer_start(loop, &tick_w);
	} else {
		on_check(loop, &update_check, EV_CHECK); /* the state arrives here */
	}
	ev_run(loop, 0);
	fprintf(stderr, "tagq: the event loop ended\n");
	return 1;
}
