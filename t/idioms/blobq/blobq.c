/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * blobq - a key-value and queue server on libev keeping raw bytes,
 * written the way a C programmer writes a small cache daemon (wave 22's
 * hunt, issue 8):
 *   - every value is a `struct msg { size_t len; unsigned char data[]; }`
 *     behind a `void *`, from a cache of three size classes whose free
 *     lists are threaded through the dead messages' first word (so a dead
 *     message's `len` holds an address; msg_new is declared
 *     STF_ALLOCATOR), values may be binary (PUTB, hex
 *     on the wire), and SNAP copies an item's own bytes, pointers and all,
 *     into a message, as a debugging dump does;
 *   - integers in pointer fields: each connection's ev_io carries its slot
 *     number in `data` (`(void *)(intptr_t)slot`), the listener's and the
 *     update descriptor's watchers an enum value, an item's `kind` is an
 *     enum in a `void *`, `(struct node *)1` ends every queue;
 *   - stale pointers: a closed connection's slot keeps its freed pointer
 *     (a separate bitmap says which slots live), queue nodes go to a free
 *     list threaded through their `next` with their `data` still pointing
 *     at the message they held, now given back or handed out again;
 *   - libev: the default loop, an ev_io and an ev_timer embedded in each
 *     connection, the update point in an ev_prepare callback that main()
 *     calls itself in a new version, stf_update_fd() watched by an ev_io.
 * Release 2 grows the connection (before its watchers), the item (in its
 * middle) and the queue node, and counts pops.
 *
 * Protocol: SET k v -> OK, GET k -> VALUE v | NONE, DEL k -> OK | NONE,
 * PUTB k hex -> OK, GETB k -> BLOB hex | NONE, SNAP k dst -> OK | NONE
 * (dst's value: k's item's bytes), PUSH q v -> LEN n, POP q -> VALUE v |
 * EMPTY, QLEN q -> LEN n, KIND k -> KIND text|blob|queue|none, VERSION,
 * VERIFY.
 * Usage: blobq PORT-FILE
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

#ifdef BUILD_O0
#pragma GCC optimize("O0") /* the build run by blobq-O0.sh */
#endif

#include "../port-listener.h"

#define INBUF 2048
#define NBUCKETS 128
#define MAX_CONNS 64
#define IDLE_SECONDS 900.

/* ---- messages: raw bytes behind void *, recycled by size class ---- */

struct msg {
	size_t len;
	unsigned char data[];
};

static const size_t msg_class_size[3] = { 64, 256, 1024 };
static void *free_msgs[3];
static unsigned long msgs_live, msgs_cached;

static int msg_class(size_t len)
{
	for (int c = 0; c < 3; c++)
		if (sizeof(struct msg) + len <= msg_class_size[c])
			return c;
	return -1;
}

/* Declared as the README says of allocators; the update commits wrong
 * with or without it (t/xfer/deadlist22, waiting; blobq.sh). */
STF_ALLOCATOR void *msg_new(const void *bytes, size_t len);

void *msg_new(const void *bytes, size_t len)
{
	int c = msg_class(len);
	struct msg *m;

	if (c >= 0 && free_msgs[c]) {
		m = free_msgs[c];
		free_msgs[c] = *(void **)m;
		msgs_cached--;
	} else {
		m = malloc(c >= 0 ? msg_class_size[c] : sizeof *m + len);
		if (!m)
			abort();
	}
	m->len = len;
	memcpy(m->data, bytes, len);
	msgs_live++;
	return m;
}

static void msg_free(void *p)
{
	struct msg *m = p;
	int c = msg_class(m->len);

	msgs_live--;
	if (c < 0) {
		free(m);
		return;
	}
	*(void **)m = free_msgs[c];
	free_msgs[c] = m;
	msgs_cached++;
}

/* ---- queues: nodes holding void *data, recycled with it kept ---- */

#define QUEUE_END ((struct node *)1)

struct node {
	struct node *next;
#if REL >= 2
	unsigned long seq; /* new in 2 */
#endif
	void *data;
};

struct queue {
	struct node *head, **tail;
	size_t len;
};

static struct node *free_nodes;
static unsigned long pops;

static struct node *node_get(void)
{
	struct node *n = free_nodes;

	if (n)
		free_nodes = n->next;
	else if (!(n = malloc(sizeof *n)))
		abort();
	return n;
}

/* ---- items ---- */

enum kind { KIND_TEXT = 1, KIND_BLOB, KIND_QUEUE };

struct item {
	struct item *next;
	char *key;
#if REL >= 2
	unsigned long touched; /* new in 2 */
#endif
	void *kind; /* an enum kind */
	void *val;  /* struct msg, or struct queue */
};

static struct item *buckets[NBUCKETS];
static unsigned long nitems;

static unsigned bucket(const char *k)
{
	unsigned h = 0;

	while (*k)
		h = h * 131 + (unsigned char)*k++;
	return h % NBUCKETS;
}

static struct item **find(const char *key)
{
	struct item **p = &buckets[bucket(key)];

	while (*p && strcmp((*p)->key, key))
		p = &(*p)->next;
	return p;
}

static void drop_value(struct item *it)
{
	if ((intptr_t)it->kind == KIND_QUEUE) {
		struct queue *q = it->val;
		for (struct node *n = q->head; n != QUEUE_END;) {
			struct node *next = n->next;
			msg_free(n->data);
			n->next = free_nodes;
			free_nodes = n;
			n = next;
		}
		free(q);
	} else {
		msg_free(it->val);
	}
}

/* key's item holding a value of KIND (its old value dropped). */
static struct item *item_set(const char *key, enum kind kind, void *val)
{
	struct item **p = find(key), *it = *p;

	if (it) {
		drop_value(it);
	} else {
		it = malloc(sizeof *it);
		it->key = strdup(key);
		it->next = NULL;
#if REL >= 2
		it->touched = 0;
#endif
		*p = it;
		nitems++;
	}
	it->kind = (void *)(intptr_t)kind;
	it->val = val;
	return it;
}

/* ---- connections ---- */

enum watcher_role { ROLE_LISTENER = -1, ROLE_UPDATE = -2 };

struct conn {
	int fd;
#if REL >= 2
	unsigned long requests; /* new in 2, before the watchers */
#endif
	ev_io io;     /* io.data: the slot, as an integer */
	ev_timer idle;
	size_t inlen;
	char in[INBUF];
};
#include "../line-conn.h"

static struct ev_loop *loop;
static ev_io listen_w, update_w;
static ev_prepare before_poll;
static struct conn *conns[MAX_CONNS]; /* closed slots keep their pointer */
static unsigned char slot_live[MAX_CONNS];
static unsigned long prepares;

static int hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static void reply_hex(struct conn *c, const char *word, const struct msg *m)
{
	char out[INBUF * 2 + 16];
	size_t n = 0;

	for (size_t i = 0; i < m->len && n + 3 < sizeof out; i++)
		n += (size_t)sprintf(out + n, "%02x", m->data[i]);
	out[n] = 0;
	reply(c, "%s %s\n", word, out);
}

static void verify(struct conn *c)
{
	unsigned long n = 0, live = 0, cached = 0, queued = 0;

	for (size_t b = 0; b < NBUCKETS; b++)
		for (struct item *it = buckets[b]; it; it = it->next) {
			intptr_t k = (intptr_t)it->kind;
			if (bucket(it->key) != b || k < KIND_TEXT || k > KIND_QUEUE) {
				reply(c, "VERIFY bad item %s (kind %ld)\n", it->key, (long)k);
				return;
			}
			if (k == KIND_QUEUE) {
				struct queue *q = it->val;
				size_t len = 0;
				struct node **last = &q->head;
				for (struct node *nd = q->head; nd != QUEUE_END; nd = nd->next) {
					len++;
					live++;
					queued++;
					last = &nd->next;
				}
				if (len != q->len || last != q->tail) {
					reply(c, "VERIFY bad queue %s: %zu of %zu\n", it->key, len, q->len);
					return;
				}
			} else if (!it->val || (k == KIND_TEXT && memchr(((struct msg *)it->val)->data, 0,
									 ((struct msg *)it->val)->len))) {
				reply(c, "VERIFY bad value of %s\n", it->key);
				return;
			} else {
				live++;
			}
			n++;
		}
	for (int k = 0; k < 3; k++)
		for (void *m = free_msgs[k]; m; m = *(void **)m)
			cached++;
	for (int i = 0; i < MAX_CONNS; i++)
		if (slot_live[i] && ((intptr_t)conns[i]->io.data != i || conns[i]->io.fd != conns[i]->fd ||
				     !ev_is_active(&conns[i]->io) || !ev_is_active(&conns[i]->idle))) {
			reply(c, "VERIFY bad connection in slot %d\n", i);
			return;
		}
	if (n != nitems || live != msgs_live || cached != msgs_cached ||
	    (intptr_t)listen_w.data != ROLE_LISTENER || (intptr_t)update_w.data != ROLE_UPDATE) {
		reply(c, "VERIFY bad counts: items %lu/%lu messages %lu/%lu cached %lu/%lu\n", n, nitems,
		      live, msgs_live, cached, msgs_cached);
		return;
	}
	reply(c, "VERIFY ok items=%lu messages=%lu cached=%lu queued=%lu prepares>0=%d\n", n, live,
	      cached, queued, prepares > 0);
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
	it = ac >= 2 ? *find(av[1]) : NULL;
#if REL >= 2
	if (it)
		it->touched++;
#endif
	if (ac == 1 && !strcmp(av[0], "VERSION")) {
		reply(c, "VERSION blobq %d\n", REL);
	} else if (ac == 1 && !strcmp(av[0], "VERIFY")) {
		verify(c);
	} else if (ac == 3 && !strcmp(av[0], "SET")) {
		item_set(av[1], KIND_TEXT, msg_new(av[2], strlen(av[2])));
		reply(c, "OK\n");
	} else if (ac == 3 && !strcmp(av[0], "PUTB")) {
		size_t n = strlen(av[2]) / 2;
		unsigned char bytes[INBUF / 2];
		for (size_t i = 0; i < n; i++) {
			int hi = hexval(av[2][2 * i]), lo = hexval(av[2][2 * i + 1]);
			if (hi < 0 || lo < 0) {
				reply(c, "ERROR hex\n");
				return;
			}
			bytes[i] = (unsigned char)(hi << 4 | lo);
		}
		item_set(av[1], KIND_BLOB, msg_new(bytes, n));
		reply(c, "OK\n");
	} else if (ac == 3 && !strcmp(av[0], "SNAP")) {
		if (it)
			item_set(av[2], KIND_BLOB, msg_new(it, sizeof *it));
		reply(c, it ? "OK\n" : "NONE\n");
	} else if (ac == 2 && (!strcmp(av[0], "GET") || !strcmp(av[0], "GETB"))) {
		if (!it || (intptr_t)it->kind == KIND_QUEUE) {
			reply(c, "NONE\n");
		} else if (av[0][3]) {
			reply_hex(c, "BLOB", it->val);
		} else {
			struct msg *m = it->val;
			reply(c, "VALUE %.*s\n", (int)m->len, (const char *)m->data);
		}
	} else if (ac == 2 && !strcmp(av[0], "DEL")) {
		if ((slot = find(av[1])) && (it = *slot)) {
			*slot = it->next;
			drop_value(it);
			free(it->key);
			free(it);
			nitems--;
		}
		reply(c, it ? "OK\n" : "NONE\n");
	} else if (ac == 2 && !strcmp(av[0], "KIND")) {
		static const char *const names[] = { "none", "text", "blob", "queue" };
		reply(c, "KIND %s\n", names[it ? (intptr_t)it->kind : 0]);
	} else if (ac == 3 && !strcmp(av[0], "PUSH")) {
		struct queue *q;
		struct node *nd = node_get();
		if (!it || (intptr_t)it->kind != KIND_QUEUE) {
			q = malloc(sizeof *q);
			q->head = QUEUE_END;
			q->tail = &q->head;
			q->len = 0;
			it = item_set(av[1], KIND_QUEUE, q);
		}
		q = it->val;
		nd->data = msg_new(av[2], strlen(av[2]));
		nd->next = QUEUE_END;
#if REL >= 2
		nd->seq = q->len;
#endif
		*q->tail = nd;
		q->tail = &nd->next;
		reply(c, "LEN %zu\n", ++q->len);
	} else if (ac == 2 && (!strcmp(av[0], "POP") || !strcmp(av[0], "QLEN"))) {
		struct queue *q = it && (intptr_t)it->kind == KIND_QUEUE ? it->val : NULL;
		if (av[0][0] == 'Q') {
			reply(c, "LEN %zu\n", q ? q->len : 0);
		} else if (!q || !q->len) {
			reply(c, "EMPTY\n");
		} else {
			struct node *nd = q->head;
			struct msg *m = nd->data;
			if ((q->head = nd->next) == QUEUE_END)
				q->tail = &q->head;
			q->len--;
			reply(c, "VALUE %.*s\n", (int)m->len, (const char *)m->data);
			msg_free(m);
			nd->next = free_nodes; /* nd->data keeps the given-back message */
			free_nodes = nd;
			pops++;
		}
	} else {
		reply(c, "ERROR unknown\n");
	}
}

static void conn_close(struct conn *c)
{
	int slot = (int)(intptr_t)c->io.data;

	ev_io_stop(loop, &c->io);
	ev_timer_stop(loop, &c->idle);
	close(c->fd);
	slot_live[slot] = 0; /* conns[slot] keeps the freed pointer */
	free(c);
}

static void on_read(struct ev_loop *l, ev_io *w, int revents)
{
	struct conn *c = conns[(intptr_t)w->data];

	(void)l, (void)revents;
	if (read_lines(c, c->in, &c->inlen, INBUF, command) < 0)
		conn_close(c);
}

static void on_idle(struct ev_loop *l, ev_timer *w, int revents)
{
	(void)l, (void)revents;
	conn_close(conns[(intptr_t)w->data]);
}

static void on_accept(struct ev_loop *l, ev_io *w, int revents)
{
	int fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK), slot;
	struct conn *c;

	(void)revents;
	if (fd < 0)
		return;
	for (slot = 0; slot < MAX_CONNS && slot_live[slot]; slot++)
		;
	if (slot == MAX_CONNS) {
		close(fd);
		return;
	}
	c = malloc(sizeof *c);
	c->fd = fd;
	c->inlen = 0;
#if REL >= 2
	c->requests = 0;
#endif
	ev_io_init(&c->io, on_read, fd, EV_READ);
	c->io.data = (void *)(intptr_t)slot;
	ev_io_start(l, &c->io);
	ev_init(&c->idle, on_idle);
	c->idle.data = (void *)(intptr_t)slot;
	c->idle.repeat = IDLE_SECONDS;
	ev_timer_again(l, &c->idle);
	conns[slot] = c;
	slot_live[slot] = 1;
}

/* Before every poll: the update point. */
static void on_prepare(struct ev_loop *l, ev_prepare *w, int revents)
{
	(void)l, (void)w, (void)revents;
	prepares++;
	stf_update_point();
}

/* stf_update_fd() is readable: the loop wakes up and prepares again. */
static void on_update_fd(struct ev_loop *l, ev_io *w, int revents)
{
	(void)l, (void)w, (void)revents;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: blobq PORT-FILE\n");
		return 2;
	}
	if (!stf_is_updating()) {
		loop = ev_default_loop(0);
		ev_io_init(&listen_w, on_accept,
			   listen_loopback("blobq", SOCK_STREAM | SOCK_NONBLOCK, argv[1]), EV_READ);
		listen_w.data = (void *)(intptr_t)ROLE_LISTENER;
		ev_io_start(loop, &listen_w);
		ev_io_init(&update_w, on_update_fd, stf_update_fd(), EV_READ);
		update_w.data = (void *)(intptr_t)ROLE_UPDATE;
		ev_io_start(loop, &update_w);
		ev_prepare_init(&before_poll, on_prepare);
		ev_prepare_start(loop, &before_poll);
	} else {
		on_prepare(loop, &before_poll, EV_PREPARE); /* the state arrives here */
	}
	ev_run(loop, 0);
	fprintf(stderr, "blobq: the event loop ended\n");
	return 1;
}
