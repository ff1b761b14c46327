/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * genkv - a key-value server on epoll built on a generic chained hash
 * table whose nodes hold `void *` slots, written as a C programmer who
 * wants "small values inline" writes one (wave 23's hunt, issue 8):
 *   - a node's value is two `void *` slots: a text (`struct text`, a
 *     length and a flexible array) or a number (`struct num`) behind the
 *     first slot, or, for small values, the value's bytes memcpy'd into
 *     the slots themselves: a pair of integers (`struct pair`), or a
 *     reference to another key (`struct ref`: an owned `struct text *`
 *     naming the key and a hop count) — a pointer inside raw bytes;
 *   - hooks `{fn, void *ctx}` in a generic list of `void *`, called on
 *     every change: statistics (ctx a `struct stats`), a journal of the
 *     last operations (ctx a `struct journal`, a ring), and watchers of
 *     single keys (ctx a `struct watch`), added and removed by clients;
 *     hook_add(fn, size) allocates the context by its size alone;
 *   - a command table `{name, argc, fn, void *ctx}` in a static array,
 *     its ctx members set at startup to the table, the statistics or
 *     NULL; release 2 gains a command (APPEND) in the middle of it.
 * Release 2 grows the node in its middle (a change count), the number,
 * the statistics, the journal (first) and the watch (in its middle), and adds to the statistics a pointer to the
 * journal set by an stf_on_commit hook (and at a fresh start).
 *
 * Protocol: SET k v -> OK, GET k -> VALUE v | NONE, DEL k -> OK | NONE,
 * NUM k n -> OK, ADD k n -> NUM n | NONE, PAIR k a b -> OK, LINK k to ->
 * OK, TYPE k -> TYPE text|num|pair|link|none, WATCH k -> OK, UNWATCH k
 * -> OK | NONE, FIRES k -> FIRES n | NONE, STATS -> STATS sets dels
 * journal, APPEND k v -> VALUE v' | NONE (release 2), VERSION, VERIFY.
 * GET of a pair answers "VALUE a,b", of a link the target's value.
 * Usage: genkv PORT-FILE
 */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stf.h>

#ifdef BUILD_O0
#pragma GCC optimize("O0") /* the build run by genkv-O0.sh */
#endif

#include "../port-listener.h"

#ifndef REL
#define REL 1
#endif

#define INBUF 512
#define JOURNAL 16

/* ---- a doubly linked list of void * ---- */

struct lnode {
	struct lnode *prev, *next;
	void *data;
};

struct list {
	struct lnode *head, *tail;
	size_t n;
};

static void list_append(struct list *l, void *data)
{
	struct lnode *n = malloc(sizeof *n);

	n->data = data;
	n->next = NULL;
	n->prev = l->tail;
	*(l->tail ? &l->tail->next : &l->head) = n;
	l->tail = n;
	l->n++;
}

/* Unlinks and frees n (not its data). */
static void list_remove(struct list *l, struct lnode *n)
{
	*(n->prev ? &n->prev->next : &l->head) = n->next;
	*(n->next ? &n->next->prev : &l->tail) = n->prev;
	l->n--;
	free(n);
}

/* ---- a chained hash table of void * slots ---- */

enum kind { K_TEXT = 1, K_NUM, K_PAIR, K_LINK };

struct hnode {
	struct hnode *next;
	char *key;
#if REL >= 2
	unsigned long changes; /* new in 2, in the middle */
#endif
	enum kind kind;
	void *val[2];
};

struct htab {
	struct hnode **b;
	size_t nb, n;
};

static size_t hash(const char *s)
{
	size_t h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

static struct hnode **htab_find(struct htab *t, const char *key)
{
	struct hnode **p = &t->b[hash(key) & (t->nb - 1)];

	while (*p && strcmp((*p)->key, key))
		p = &(*p)->next;
	return p;
}

static void htab_grow(struct htab *t)
{
	struct hnode **old = t->b;
	size_t nb = t->nb;

	t->nb = nb ? nb * 2 : 64;
	t->b = calloc(t->nb, sizeof *t->b);
	for (size_t i = 0; i < nb; i++)
		while (old[i]) {
			struct hnode *n = old[i];
			old[i] = n->next;
			n->next = t->b[hash(n->key) & (t->nb - 1)];
			t->b[hash(n->key) & (t->nb - 1)] = n;
		}
	free(old);
}

/* ---- values ---- */

struct text {
	size_t len;
	char s[];
};

struct num {
	long v;
#if REL >= 2
	long low; /* new in 2: the lowest value it had since */
#endif
	unsigned long adds;
};

struct pair { /* memcpy'd into a node's slots */
	int a, b;
	long sum;
};

struct ref { /* memcpy'd into a node's slots */
	struct text *to;
	unsigned long hops;
};

_Static_assert(sizeof(struct pair) <= 2 * sizeof(void *), "a pair fits in the slots");
_Static_assert(sizeof(struct ref) <= 2 * sizeof(void *), "a ref fits in the slots");

static struct text *text_new(const char *s)
{
	size_t len = strlen(s);
	struct text *t = malloc(sizeof *t + len + 1);

	t->len = len;
	memcpy(t->s, s, len + 1);
	return t;
}

/* ---- hooks ---- */

enum op { OP_SET, OP_DEL };

struct hook {
	void (*fn)(void *ctx, const char *key, enum op op);
	void *ctx;
};

struct journal {
#if REL >= 2
	unsigned long total; /* new in 2, first */
#endif
	unsigned next, count;
	struct {
		enum op op;
		char key[24];
	} last[JOURNAL];
};

struct stats {
	unsigned long sets, dels;
#if REL >= 2
	unsigned long appends;   /* new in 2 */
	struct journal *journal; /* new in 2: set by on_commit and at start */
#endif
};

struct watch {
	char *key;
#if REL >= 2
	enum op last; /* new in 2, in the middle */
#endif
	unsigned long fires;
};

static void count_op(void *ctx, const char *key, enum op op)
{
	struct stats *s = ctx;

	(void)key;
	if (op == OP_SET)
		s->sets++;
	else
		s->dels++;
}

static void journal_op(void *ctx, const char *key, enum op op)
{
	struct journal *j = ctx;

#if REL >= 2
	j->total++;
#endif
	j->last[j->next].op = op;
	snprintf(j->last[j->next].key, sizeof j->last[0].key, "%s", key);
	j->next = (j->next + 1) % JOURNAL;
	if (j->count < JOURNAL)
		j->count++;
}

static void watch_op(void *ctx, const char *key, enum op op)
{
	struct watch *w = ctx;

	(void)op;
	if (strcmp(w->key, key))
		return;
	w->fires++;
#if REL >= 2
	w->last = op;
#endif
}

/* ---- the server ---- */

struct conn {
	int fd;
#if REL >= 2
	unsigned long requests; /* new in 2 */
#endif
	size_t inlen;
	char in[INBUF];
};

struct cmd {
	const char *name;
	int argc;
	void (*fn)(struct conn *c, char **av, void *ctx);
	void *ctx;
};

static struct htab store;
static struct list hooks; /* of struct hook * */
static struct stats *stats;

#include "../line-conn.h"
#include "../epoll-lines.h"

static void changed(const char *key, enum op op)
{
	for (struct lnode *l = hooks.head; l; l = l->next) {
		struct hook *h = l->data;
		h->fn(h->ctx, key, op);
	}
}

static void value_free(struct hnode *n)
{
	struct ref r;

	if (n->kind == K_TEXT || n->kind == K_NUM) {
		free(n->val[0]);
	} else if (n->kind == K_LINK) {
		memcpy(&r, n->val, sizeof r);
		free(r.to);
	}
	n->val[0] = n->val[1] = NULL;
}

/* key's node, made (empty) if it is not there. */
static struct hnode *node_for(struct htab *t, const char *key)
{
	struct hnode **p, *n;

	if ((t->n + 1) * 4 > t->nb * 3)
		htab_grow(t);
	p = htab_find(t, key);
	if (*p) {
		value_free(*p);
	} else {
		n = calloc(1, sizeof *n);
		n->key = strdup(key);
		*p = n;
		t->n++;
	}
#if REL >= 2
	(*p)->changes++;
#endif
	return *p;
}

static struct hnode *node_get(struct htab *t, const char *key)
{
	return t->nb ? *htab_find(t, key) : NULL;
}

static void reply_value(struct conn *c, struct hnode *n, unsigned depth)
{
	struct pair pr;
	struct ref r;

	if (!n) {
		reply(c, "NONE\n");
	} else if (n->kind == K_TEXT) {
		reply(c, "VALUE %s\n", ((struct text *)n->val[0])->s);
	} else if (n->kind == K_NUM) {
		reply(c, "VALUE %ld\n", ((struct num *)n->val[0])->v);
	} else if (n->kind == K_PAIR) {
		memcpy(&pr, n->val, sizeof pr);
		reply(c, "VALUE %d,%d\n", pr.a, pr.b);
	} else if (depth > 8) {
		reply(c, "NONE\n");
	} else {
		memcpy(&r, n->val, sizeof r);
		r.hops++;
		memcpy(n->val, &r, sizeof r);
		reply_value(c, node_get(&store, r.to->s), depth + 1);
	}
}

static void cmd_version(struct conn *c, char **av, void *ctx)
{
	(void)av, (void)ctx;
	reply(c, "VERSION genkv %d\n", REL);
}

static void cmd_set(struct conn *c, char **av, void *ctx)
{
	struct hnode *n = node_for(ctx, av[1]);

	n->kind = K_TEXT;
	n->val[0] = text_new(av[2]);
	changed(av[1], OP_SET);
	reply(c, "OK\n");
}

static void cmd_get(struct conn *c, char **av, void *ctx)
{
	reply_value(c, node_get(ctx, av[1]), 0);
}

static void cmd_del(struct conn *c, char **av, void *ctx)
{
	struct htab *t = ctx;
	struct hnode **p = t->nb ? htab_find(t, av[1]) : NULL, *n = p ? *p : NULL;

	if (n) {
		*p = n->next;
		t->n--;
		value_free(n);
		free(n->key);
		free(n);
		changed(av[1], OP_DEL);
	}
	reply(c, n ? "OK\n" : "NONE\n");
}

static void cmd_num(struct conn *c, char **av, void *ctx)
{
	struct hnode *n = node_for(ctx, av[1]);
	struct num *v = calloc(1, sizeof *v);

	v->v = atol(av[2]);
#if REL >= 2
	v->low = v->v;
#endif
	n->kind = K_NUM;
	n->val[0] = v;
	changed(av[1], OP_SET);
	reply(c, "OK\n");
}

static void cmd_add(struct conn *c, char **av, void *ctx)
{
	struct hnode *n = node_get(ctx, av[1]);
	struct num *v;

	if (!n || n->kind != K_NUM) {
		reply(c, "NONE\n");
		return;
	}
	v = n->val[0];
	v->v += atol(av[2]);
	v->adds++;
#if REL >= 2
	if (v->v < v->low)
		v->low = v->v;
#endif
	reply(c, "NUM %ld\n", v->v);
}

static void cmd_pair(struct conn *c, char **av, void *ctx)
{
	struct hnode *n = node_for(ctx, av[1]);
	struct pair pr = { atoi(av[2]), atoi(av[3]), 0 };

	pr.sum = (long)pr.a + pr.b;
	n->kind = K_PAIR;
	memcpy(n->val, &pr, sizeof pr);
	changed(av[1], OP_SET);
	reply(c, "OK\n");
}

static void cmd_link(struct conn *c, char **av, void *ctx)
{
	struct hnode *n = node_for(ctx, av[1]);
	struct ref r = { text_new(av[2]), 0 };

	n->kind = K_LINK;
	memcpy(n->val, &r, sizeof r);
	changed(av[1], OP_SET);
	reply(c, "OK\n");
}

static void cmd_type(struct conn *c, char **av, void *ctx)
{
	static const char *const names[] = { "none", "text", "num", "pair", "link" };
	struct hnode *n = node_get(ctx, av[1]);

	reply(c, "TYPE %s\n", names[n ? n->kind : 0]);
}

/* A new hook calling fn with a zeroed context of ctx_size bytes: the
 * context. */
static void *hook_add(void (*fn)(void *ctx, const char *key, enum op op), size_t ctx_size)
{
	struct hook *h = malloc(sizeof *h);

	h->fn = fn;
	h->ctx = calloc(1, ctx_size);
	list_append(&hooks, h);
	return h->ctx;
}

static void cmd_watch(struct conn *c, char **av, void *ctx)
{
	struct watch *w = hook_add(watch_op, sizeof *w);

	(void)ctx;
	w->key = strdup(av[1]);
	reply(c, "OK\n");
}

/* The list node of the hook watching key. */
static struct lnode *watch_of(const char *key)
{
	for (struct lnode *l = hooks.head; l; l = l->next) {
		struct hook *h = l->data;
		if (h->fn == watch_op && !strcmp(((struct watch *)h->ctx)->key, key))
			return l;
	}
	return NULL;
}

static void cmd_unwatch(struct conn *c, char **av, void *ctx)
{
	struct lnode *l = watch_of(av[1]);
	struct hook *h = l ? l->data : NULL;

	(void)ctx;
	if (h) {
		list_remove(&hooks, l);
		free(((struct watch *)h->ctx)->key);
		free(h->ctx);
		free(h);
	}
	reply(c, h ? "OK\n" : "NONE\n");
}

static void cmd_fires(struct conn *c, char **av, void *ctx)
{
	struct lnode *l = watch_of(av[1]);
	struct hook *h = l ? l->data : NULL;

	(void)ctx;
	if (h)
		reply(c, "FIRES %lu\n", ((struct watch *)h->ctx)->fires);
	else
		reply(c, "NONE\n");
}

static struct journal *journal_of_hooks(void)
{
	for (struct lnode *l = hooks.head; l; l = l->next)
		if (((struct hook *)l->data)->fn == journal_op)
			return ((struct hook *)l->data)->ctx;
	return NULL;
}

static void cmd_stats(struct conn *c, char **av, void *ctx)
{
	struct stats *s = ctx;

	(void)av;
#if REL >= 2
	reply(c, "STATS %lu %lu %u\n", s->sets, s->dels, s->journal->count);
#else
	reply(c, "STATS %lu %lu %u\n", s->sets, s->dels, journal_of_hooks()->count);
#endif
}

#if REL >= 2
static void cmd_append(struct conn *c, char **av, void *ctx)
{
	struct hnode *n = node_get(ctx, av[1]);
	struct text *t;

	if (!n || n->kind != K_TEXT) {
		reply(c, "NONE\n");
		return;
	}
	t = realloc(n->val[0], sizeof *t + ((struct text *)n->val[0])->len + strlen(av[2]) + 1);
	memcpy(t->s + t->len, av[2], strlen(av[2]) + 1);
	t->len += strlen(av[2]);
	n->val[0] = t;
	n->changes++;
	stats->appends++;
	reply(c, "VALUE %s\n", t->s);
}
#endif

static void verify(struct conn *c, char **av, void *ctx);

static struct cmd cmds[] = {
	{ "VERSION", 1, cmd_version, NULL },
	{ "SET", 3, cmd_set, NULL }, /* ctx: &store, set at start */
	{ "GET", 2, cmd_get, NULL },
	{ "DEL", 2, cmd_del, NULL },
#if REL >= 2
	{ "APPEND", 3, cmd_append, NULL },
#endif
	{ "NUM", 3, cmd_num, NULL },
	{ "ADD", 3, cmd_add, NULL },
	{ "PAIR", 4, cmd_pair, NULL },
	{ "LINK", 3, cmd_link, NULL },
	{ "TYPE", 2, cmd_type, NULL },
	{ "WATCH", 2, cmd_watch, NULL },
	{ "UNWATCH", 2, cmd_unwatch, NULL },
	{ "FIRES", 2, cmd_fires, NULL },
	{ "STATS", 1, cmd_stats, NULL }, /* ctx: stats */
	{ "VERIFY", 1, verify, NULL },
};

static void verify(struct conn *c, char **av, void *ctx)
{
	size_t n = 0, watches = 0;
	struct pair pr;
	struct ref r;

	(void)av, (void)ctx;
	for (size_t i = 0; i < store.nb; i++)
		for (struct hnode *h = store.b[i]; h; h = h->next) {
			n++;
			if (node_get(&store, h->key) != h) {
				reply(c, "VERIFY %s is not found by its hash\n", h->key);
				return;
			}
			switch (h->kind) {
			case K_TEXT:
				if (strlen(((struct text *)h->val[0])->s) != ((struct text *)h->val[0])->len) {
					reply(c, "VERIFY bad text of %s\n", h->key);
					return;
				}
				break;
			case K_NUM:
#if REL >= 2
				if (((struct num *)h->val[0])->low > ((struct num *)h->val[0])->v) {
					reply(c, "VERIFY bad low of %s\n", h->key);
					return;
				}
#endif
				break;
			case K_PAIR:
				memcpy(&pr, h->val, sizeof pr);
				if (pr.sum != (long)pr.a + pr.b) {
					reply(c, "VERIFY bad pair %s\n", h->key);
					return;
				}
				break;
			case K_LINK:
				memcpy(&r, h->val, sizeof r);
				if (strlen(r.to->s) != r.to->len) {
					reply(c, "VERIFY bad link %s\n", h->key);
					return;
				}
				break;
			default:
				reply(c, "VERIFY bad kind of %s\n", h->key);
				return;
			}
		}
	if (n != store.n) {
		reply(c, "VERIFY %zu nodes, %zu counted\n", n, store.n);
		return;
	}
	for (struct lnode *l = hooks.head; l; l = l->next) {
		struct hook *h = l->data;
		if ((l->next ? l->next->prev : hooks.tail) != l) {
			reply(c, "VERIFY the hooks' list is broken\n");
			return;
		}
		if (h->fn == watch_op)
			watches++;
		else if (!(h->fn == count_op && h->ctx == stats) && h->fn != journal_op) {
			reply(c, "VERIFY bad hook\n");
			return;
		}
	}
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
		void *want = cmds[i].fn == cmd_stats ? (void *)stats : (void *)&store;
		if (cmds[i].fn == cmd_version || cmds[i].fn == verify)
			want = NULL;
		if (cmds[i].ctx != want) {
			reply(c, "VERIFY bad context of %s\n", cmds[i].name);
			return;
		}
	}
#if REL >= 2
	if (stats->journal != journal_of_hooks()) {
		reply(c, "VERIFY the statistics' journal is not the hook's\n");
		return;
	}
#endif
	reply(c, "VERIFY ok keys=%zu hooks=%zu watches=%zu\n", n, hooks.n, watches);
}

static void command(struct conn *c, char *line)
{
	char *av[5] = { 0 }, *p = line;
	int ac = 0;

#if REL >= 2
	c->requests++;
#endif
	while (ac < 5 && (av[ac] = strsep(&p, " ")))
		if (*av[ac])
			ac++;
	for (size_t i = 0; ac && i < sizeof cmds / sizeof cmds[0]; i++)
		if (cmds[i].argc == ac && !strcmp(cmds[i].name, av[0])) {
			cmds[i].fn(c, av, cmds[i].ctx);
			return;
		}
	reply(c, "ERROR unknown\n");
}

/* The commands' contexts: the store, the statistics or none. */
static void bind_commands(void)
{
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		if (cmds[i].fn == cmd_stats)
			cmds[i].ctx = stats;
		else if (cmds[i].fn != cmd_version && cmds[i].fn != verify)
			cmds[i].ctx = &store;
}

#if REL >= 2
/* After an update: the statistics' new pointer, and the context of
 * APPEND, new in the table (the others' came with it). */
static void on_commit(void *arg)
{
	(void)arg;
	stats->journal = journal_of_hooks();
	bind_commands();
}
#endif

static void start(void)
{
	struct journal *j;

	stats = hook_add(count_op, sizeof *stats);
	j = hook_add(journal_op, sizeof *j);
#if REL >= 2
	stats->journal = j;
#else
	(void)j;
#endif
	bind_commands();
}

static void conn_close(struct conn *c)
{
	epoll_lines_forget(c);
	free(c);
}

static struct conn *conn_new(int fd)
{
	struct conn *c = calloc(1, sizeof *c);

	c->fd = fd;
	return c;
}

int main(int argc, char **argv)
{
	static int listener;

	if (argc != 2) {
		fprintf(stderr, "usage: genkv PORT-FILE\n");
		return 2;
	}
#if REL >= 2
	stf_on_commit(on_commit, NULL);
#endif
	if (!stf_is_updating()) {
		start();
		listener = listen_loopback("genkv", SOCK_STREAM | SOCK_NONBLOCK, argv[1]);
		epoll_lines_start(&listener);
	}
	return epoll_lines_run(&listener);
}
