/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * seedkv - a key-value server on libev whose hash mixes in the bytes of a
 * static key table, an idiom test server of ttst (t/idioms/seedkv.sh)
 * combining what such servers do together:
 *   - the store's buckets are chosen by a hash that reads, byte by byte,
 *     a static table of keys passed to it (`bucket_hash(hash_keys, ...)`,
 *     the table holding the address of its label next to the numbers):
 *     the table is marked STF_BYTES_REBUILT and an stf_on_commit() hook
 *     rehashes the store (without them the update rolls back naming the
 *     table and the function reading it);
 *   - connections from new_conn(), which picks the size itself
 *     (`xmalloc(sizeof(struct conn))`), xmalloc a size-prefixing wrapper
 *     (STF_ALLOCATOR), each with an ev_io and an idle ev_timer embedded,
 *     so libev's timer heap (an array of pointers) points into them;
 *   - items in a chained hash with a per-item `void *` of raw bytes.
 * Release 2 grows the connection in front of its watchers and the item
 * in its middle.  The update point is in the housekeeping timer's
 * callback, stf_update_fd() watched by an ev_io that feeds it.
 *
 * Protocol: SET k v -> OK, GET k -> VALUE v | NONE, DEL k -> OK | NONE,
 * REHASHES -> REHASHES n (rehashes run after commits), VERSION, VERIFY.
 * Usage: seedkv PORT-FILE
 */
#define _GNU_SOURCE

#ifndef REL
#define REL 1
#endif

#include <ev.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <stf.h>

#include "../port-listener.h"

#define INBUF 1024
#define NBUCKETS 512
#define IDLE_SECONDS 600.
#define TICK_SECONDS 0.05

STF_ALLOCATOR void *xmalloc(size_t n);

void *xmalloc(size_t n)
{
	size_t *h = malloc(16 + n);

	if (!h)
		abort();
	h[0] = n;
	h[1] = 0x73656564;
	return (char *)h + 16;
}

static void xfree(void *p)
{
	free((char *)p - 16);
}

/* The hash's keys, mixed in byte by byte (the label's address too). */
static const struct hash_key {
	const char *label;
	uint32_t k0, k1;
} hash_keys[2] STF_BYTES_REBUILT = {
	{ "items", 0x9e3779b9u, 0x7f4a7c15u },
	{ "spare", 0x85ebca6bu, 0xc2b2ae35u },
};

static uint32_t bucket_hash(const void *keys, size_t nkeys, const char *s)
{
	const unsigned char *k = keys;
	uint32_t h = 2166136261u;

	for (size_t i = 0; *s; s++, i++)
		h = (h ^ (unsigned char)*s ^ k[i % nkeys]) * 16777619u;
	return h;
}

struct item {
	struct item *next;
#if REL >= 2
	unsigned long gets; /* new in 2 */
#endif
	void *val; /* raw bytes, NUL-terminated */
	char key[];
};

static struct item *buckets[NBUCKETS];
static unsigned long items, rehashes;

static size_t bucket_of(const char *key)
{
	return bucket_hash(hash_keys, sizeof hash_keys, key) % NBUCKETS;
}

static struct item **find(const char *key)
{
	struct item **p = &buckets[bucket_of(key)];

	while (*p && strcmp((*p)->key, key))
		p = &(*p)->next;
	return p;
}

/* After a commit: the table's bytes are the new executable's, every
 * item goes to the bucket its key hashes to now. */
static void rehash(void *arg)
{
	struct item *all = NULL;

	(void)arg;
	for (size_t b = 0; b < NBUCKETS; b++)
		while (buckets[b]) {
			struct item *it = buckets[b];
			buckets[b] = it->next;
			it->next = all;
			all = it;
		}
	while (all) {
		struct item *it = all;
		struct item **p = &buckets[bucket_of(it->key)];
		all = it->next;
		it->next = *p;
		*p = it;
	}
	rehashes++;
}

struct conn {
	int fd;
#if REL >= 2
	unsigned long requests; /* new in 2, in front of the watchers */
#endif
	ev_io rio;
	ev_timer idle;
	size_t inlen;
	char in[INBUF];
};
#include "../line-conn.h"

static struct ev_loop *loop;
static ev_io listen_w, update_w;
static ev_timer tick;
static unsigned long conns_open;

static struct conn *new_conn(void)
{
	return xmalloc(sizeof(struct conn));
}

static void conn_close(struct conn *c)
{
	ev_io_stop(loop, &c->rio);
	ev_timer_stop(loop, &c->idle);
	close(c->fd);
	conns_open--;
	xfree(c);
}

static void verify(struct conn *c)
{
	unsigned long n = 0;

	for (size_t b = 0; b < NBUCKETS; b++)
		for (struct item *it = buckets[b]; it; it = it->next) {
			if (bucket_of(it->key) != b || !it->val) {
				reply(c, "VERIFY bad item %s in bucket %zu\n", it->key, b);
				return;
			}
			n++;
		}
	if (n != items || !ev_is_active(&tick) || !ev_is_active(&c->idle)) {
		reply(c, "VERIFY bad count %lu/%lu or watchers\n", n, items);
		return;
	}
	reply(c, "VERIFY ok items=%lu conns=%lu rehashes=%lu\n", n, conns_open, rehashes);
}

static void command(struct conn *c, char *line)
{
	char *av[4] = { 0 }, *p = line;
	struct item **slot, *it;
	int ac = 0;

#if REL >= 2
	c->requests++;
#endif
	ev_timer_again(loop, &c->idle);
	while (ac < 4 && (av[ac] = strsep(&p, " ")))
		if (*av[ac])
			ac++;
	if (ac == 1 && !strcmp(av[0], "VERSION")) {
		reply(c, "VERSION seedkv %d\n", REL);
	} else if (ac == 1 && !strcmp(av[0], "VERIFY")) {
		verify(c);
	} else if (ac == 1 && !strcmp(av[0], "REHASHES")) {
		reply(c, "REHASHES %lu\n", rehashes);
	} else if (ac == 3 && !strcmp(av[0], "SET")) {
		slot = find(av[1]);
		if (!(it = *slot)) {
			size_t k = strlen(av[1]) + 1;
			it = xmalloc(sizeof *it + k);
			memcpy(it->key, av[1], k);
			it->next = NULL;
#if REL >= 2
			it->gets = 0;
#endif
			*slot = it;
			items++;
		} else {
			xfree(it->val);
		}
		it->val = xmalloc(strlen(av[2]) + 1);
		strcpy(it->val, av[2]);
		reply(c, "OK\n");
	} else if (ac == 2 && !strcmp(av[0], "GET")) {
		it = *find(av[1]);
#if REL >= 2
		if (it)
			it->gets++;
#endif
		if (it)
			reply(c, "VALUE %s\n", (char *)it->val);
		else
			reply(c, "NONE\n");
	} else if (ac == 2 && !strcmp(av[0], "DEL")) {
		slot = find(av[1]);
		if ((it = *slot)) {
			*slot = it->next;
			xfree(it->val);
			xfree(it);
			items--;
		}
		reply(c, it ? "OK\n" : "NONE\n");
	} else {
		reply(c, "ERROR unknown\n");
	}
}

static void on_read(struct ev_loop *l, ev_io *w, int revents)
{
	struct conn *c = (struct conn *)((char *)w - offsetof(struct conn, rio));

	(void)l, (void)revents;
	if (read_lines(c, c->in, &c->inlen, INBUF, command) < 0)
		conn_close(c);
}

static void on_idle(struct ev_loop *l, ev_timer *w, int revents)
{
	(void)l, (void)revents;
	conn_close((struct conn *)((char *)w - offsetof(struct conn, idle)));
}

static void on_accept(struct ev_loop *l, ev_io *w, int revents)
{
	int fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK);
	struct conn *c;

	(void)revents;
	if (fd < 0)
		return;
	c = new_conn();
	c->fd = fd;
	c->inlen = 0;
#if REL >= 2
	c->requests = 0;
#endif
	ev_io_init(&c->rio, on_read, fd, EV_READ);
	ev_io_start(l, &c->rio);
	ev_init(&c->idle, on_idle);
	c->idle.repeat = IDLE_SECONDS;
	ev_timer_again(l, &c->idle);
	conns_open++;
}

static void on_tick(struct ev_loop *l, ev_timer *w, int revents)
{
	(void)l, (void)w, (void)revents;
	stf_update_point();
}

/* stf_update_fd() is readable: an update is pending. */
static void on_update(struct ev_loop *l, ev_io *w, int revents)
{
	(void)w, (void)revents;
	ev_feed_event(l, &tick, EV_CUSTOM);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: seedkv PORT-FILE\n");
		return 2;
	}
	stf_on_commit(rehash, NULL);
	if (!stf_is_updating()) {
		loop = ev_default_loop(0);
		ev_io_init(&listen_w, on_accept,
			   listen_loopback("seedkv", SOCK_STREAM | SOCK_NONBLOCK, argv[1]), EV_READ);
		ev_io_start(loop, &listen_w);
		ev_timer_init(&tick, on_tick, TICK_SECONDS, TICK_SECONDS);
		ev_timer_start(loop, &tick);
		ev_io_init(&update_w, on_update, stf_update_fd(), EV_READ);
		ev_io_start(loop, &update_w);
	} else {
		on_tick(loop, NULL, EV_CUSTOM); /* the state arrives here */
	}
	ev_run(loop, 0);
	fprintf(stderr, "seedkv: the event loop ended\n");
	return 1;
}
