/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * rbkv - a key-value server on an intrusive red-black tree, written as a
 * stranger would (wave 10's red team).  Each entry embeds a `struct
 * rb_node` in its middle, reached back with container_of; the node's
 * colour is the low bit of its parent pointer, Linux-style (a black node's
 * parent word points one byte into the parent's node, the root's is
 * (struct rb_node *)1).  Entries end in their key's bytes; their values are
 * raw bytes (no terminator) behind a `void *`.  Every block comes from
 * xalloc, a wrapper that keeps a 16-byte header (magic, size) in front of
 * what it returns (`return p + 2` of a `uint64_t *`; declared STF_ALLOCATOR
 * as ttst(7) asks).  A cursor into the tree (a node pointer) is held across
 * requests by SCAN, and the entry deleted last stays pointed to, freed.
 * A poll() loop.
 *
 * Protocol: SET k v -> OK, GET k -> VALUE v | NONE, DEL k -> OK | NONE,
 * VERSION, VERIFY, SCAN -> KEY k (the next key in order, from the cursor;
 * END at the end, starting over).  REL 2: entries gain a read count before
 * their node, HITS k -> HITS n.
 * Usage: rbkv PORT-FILE
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stf.h>

#ifndef REL
#define REL 1
#endif

#define MAX_CONNS 64
#define container_of(p, type, member) ((type *)((char *)(p) - offsetof(type, member)))

/* ---- the wrapper: 16-byte header of magic and size ---- */

#define XMAGIC 0x5842424b564b5242ull

static size_t bytes_used;

static void *xalloc(size_t n) STF_ALLOCATOR; /* integration line */

static void *xalloc(size_t n)
{
	uint64_t *p = malloc(2 * sizeof(uint64_t) + n);
	if (!p) {
		fprintf(stderr, "rbkv: out of memory\n");
		abort();
	}
	p[0] = XMAGIC;
	p[1] = n;
	bytes_used += n;
	return p + 2;
}

static void xfree(void *ptr)
{
	if (!ptr)
		return;
	uint64_t *p = (uint64_t *)ptr - 2;
	bytes_used -= p[1];
	p[0] = 0;
	free(p);
}

/* The header is intact and its size at least need, or exactly old_size:
 * ttst moves a block whose object grew with its header as it is (the size
 * its release allocated, which bytes_used counted). */
static int xcheck(const void *ptr, size_t need, size_t old_size)
{
	const uint64_t *p = (const uint64_t *)ptr - 2;
	return p[0] == XMAGIC && (p[1] >= need || p[1] == old_size);
}

/* ---- an intrusive red-black tree, colour in the parent pointer ---- */

#define RB_RED 0
#define RB_BLACK 1

struct rb_node {
	struct rb_node *parent_color;
	struct rb_node *left, *right;
};

struct rb_root {
	struct rb_node *node;
};

static struct rb_node *rb_parent(const struct rb_node *n)
{
	return (struct rb_node *)((uintptr_t)n->parent_color & ~(uintptr_t)3);
}

static int rb_color(const struct rb_node *n)
{
	return n ? (int)((uintptr_t)n->parent_color & 1) : RB_BLACK;
}

static void rb_set(struct rb_node *n, struct rb_node *parent, int color)
{
	n->parent_color = (struct rb_node *)((uintptr_t)parent | (uintptr_t)color);
}

static void rb_set_parent(struct rb_node *n, struct rb_node *parent)
{
	rb_set(n, parent, rb_color(n));
}

static void rb_set_color(struct rb_node *n, int color)
{
	rb_set(n, rb_parent(n), color);
}

/* Puts v where u is under u's parent. */
static void rb_replace(struct rb_root *root, struct rb_node *u, struct rb_node *v)
{
	struct rb_node *p = rb_parent(u);
	if (!p)
		root->node = v;
	else if (u == p->left)
		p->left = v;
	else
		p->right = v;
	if (v)
		rb_set_parent(v, p);
}

static void rb_rotate(struct rb_root *root, struct rb_node *x, int left)
{
	struct rb_node *y = left ? x->right : x->left;
	struct rb_node *inner = left ? y->left : y->right;
	if (left)
		x->right = inner;
	else
		x->left = inner;
	if (inner)
		rb_set_parent(inner, x);
	rb_replace(root, x, y);
	if (left)
		y->left = x;
	else
		y->right = x;
	rb_set_parent(x, y);
}

static void rb_insert_fixup(struct rb_root *root, struct rb_node *z)
{
	struct rb_node *p, *g;
	while ((p = rb_parent(z)) && rb_color(p) == RB_RED) {
		g = rb_parent(p);
		int left = p == g->left;
		struct rb_node *uncle = left ? g->right : g->left;
		if (rb_color(uncle) == RB_RED) {
			rb_set_color(p, RB_BLACK);
			rb_set_color(uncle, RB_BLACK);
			rb_set_color(g, RB_RED);
			z = g;
			continue;
		}
		if (z == (left ? p->right : p->left)) {
			rb_rotate(root, p, left);
			z = p;
			p = rb_parent(z);
		}
		rb_set_color(p, RB_BLACK);
		rb_set_color(g, RB_RED);
		rb_rotate(root, g, !left);
	}
	rb_set_color(root->node, RB_BLACK);
}

static void rb_erase_fixup(struct rb_root *root, struct rb_node *x, struct rb_node *xp)
{
	while (x != root->node && rb_color(x) == RB_BLACK) {
		int left = x == xp->left;
		struct rb_node *w = left ? xp->right : xp->left;
		if (rb_color(w) == RB_RED) {
			rb_set_color(w, RB_BLACK);
			rb_set_color(xp, RB_RED);
			rb_rotate(root, xp, left);
			w = left ? xp->right : xp->left;
		}
		struct rb_node *near = left ? w->left : w->right, *far = left ? w->right : w->left;
		if (rb_color(near) == RB_BLACK && rb_color(far) == RB_BLACK) {
			rb_set_color(w, RB_RED);
			x = xp;
			xp = rb_parent(x);
			continue;
		}
		if (rb_color(far) == RB_BLACK) {
			rb_set_color(near, RB_BLACK);
			rb_set_color(w, RB_RED);
			rb_rotate(root, w, !left);
			w = left ? xp->right : xp->left;
			far = left ? w->right : w->left;
		}
		rb_set_color(w, rb_color(xp));
		rb_set_color(xp, RB_BLACK);
		if (far)
			rb_set_color(far, RB_BLACK);
		rb_rotate(root, xp, left);
		x = root->node;
		xp = NULL;
	}
	if (x)
		rb_set_color(x, RB_BLACK);
}

static void rb_erase(struct rb_root *root, struct rb_node *z)
{
	struct rb_node *x, *xp;
	int removed_color = rb_color(z);
	if (!z->left || !z->right) {
		x = z->left ? z->left : z->right;
		xp = rb_parent(z);
		rb_replace(root, z, x);
	} else {
		struct rb_node *y = z->right;
		while (y->left)
			y = y->left;
		removed_color = rb_color(y);
		x = y->right;
		if (rb_parent(y) == z) {
			xp = y;
		} else {
			xp = rb_parent(y);
			rb_replace(root, y, y->right);
			y->right = z->right;
			rb_set_parent(y->right, y);
		}
		rb_replace(root, z, y);
		y->left = z->left;
		rb_set_parent(y->left, y);
		rb_set_color(y, rb_color(z));
	}
	if (removed_color == RB_BLACK)
		rb_erase_fixup(root, x, xp);
}

static struct rb_node *rb_next(struct rb_node *n)
{
	struct rb_node *p;
	if (n->right) {
		for (n = n->right; n->left; n = n->left)
			;
		return n;
	}
	while ((p = rb_parent(n)) && n == p->right)
		n = p;
	return p;
}

static struct rb_node *rb_first(const struct rb_root *root)
{
	struct rb_node *n = root->node;
	while (n && n->left)
		n = n->left;
	return n;
}

/* ---- the store ---- */

struct entry {
	uint32_t klen, vlen;
#if REL >= 2
	unsigned long hits; /* new in 2 */
#endif
	struct rb_node node;
	void *val; /* vlen raw bytes */
	char key[];
};

/* sizeof(struct entry) in release 1 */
#define SIZEOF_ENTRY_1 (sizeof(struct entry) - (REL >= 2) * sizeof(unsigned long))

static struct rb_root tree;
static size_t nkeys;
static struct rb_node *cursor;       /* SCAN's place, held across requests */
static struct entry *last_deleted;   /* freed: never read */
static unsigned long deletions;

static struct entry *entry_of(struct rb_node *n)
{
	return container_of(n, struct entry, node);
}

static int entry_cmp(const struct entry *e, const char *key, size_t klen)
{
	int c = memcmp(e->key, key, e->klen < klen ? e->klen : klen);
	return c ? c : (e->klen > klen) - (e->klen < klen);
}

static struct entry *store_find(const char *key)
{
	size_t klen = strlen(key);
	struct rb_node *n = tree.node;
	while (n) {
		int c = entry_cmp(entry_of(n), key, klen);
		if (!c)
			return entry_of(n);
		n = c > 0 ? n->left : n->right;
	}
	return NULL;
}

static void store_set(const char *key, const char *val)
{
	size_t klen = strlen(key), vlen = strlen(val);
	struct rb_node **link = &tree.node, *parent = NULL;
	while (*link) {
		parent = *link;
		int c = entry_cmp(entry_of(parent), key, klen);
		if (!c) {
			struct entry *e = entry_of(parent);
			xfree(e->val);
			e->val = xalloc(vlen);
			memcpy(e->val, val, vlen);
			e->vlen = vlen;
			return;
		}
		link = c > 0 ? &parent->left : &parent->right;
	}
	struct entry *e = xalloc(sizeof *e + klen);
	memset(e, 0, sizeof *e);
	e->klen = klen;
	memcpy(e->key, key, klen);
	e->vlen = vlen;
	e->val = xalloc(vlen);
	memcpy(e->val, val, vlen);
	e->node.left = e->node.right = NULL;
	rb_set(&e->node, parent, RB_RED);
	*link = &e->node;
	rb_insert_fixup(&tree, &e->node);
	nkeys++;
}

static int store_del(const char *key)
{
	struct entry *e = store_find(key);
	if (!e)
		return 0;
	if (cursor == &e->node)
		cursor = rb_next(cursor);
	rb_erase(&tree, &e->node);
	xfree(e->val);
	xfree(e);
	last_deleted = e;
	deletions++;
	nkeys--;
	return 1;
}

/* The black height of n's subtree, -1 if a rule is broken; counts nodes. */
static int rb_check(struct rb_node *n, struct rb_node *parent, size_t *count, const char **why)
{
	if (!n)
		return 1;
	struct entry *e = entry_of(n);
	if (rb_parent(n) != parent)
		return *why = "parent", -1;
	if (rb_color(n) == RB_RED && (rb_color(n->left) == RB_RED || rb_color(n->right) == RB_RED))
		return *why = "red", -1;
	if (!xcheck(e, sizeof *e + e->klen, SIZEOF_ENTRY_1 + e->klen) || !xcheck(e->val, e->vlen, 0))
		return *why = "header", -1;
	if ((n->left && entry_cmp(entry_of(n->left), e->key, e->klen) >= 0) ||
	    (n->right && entry_cmp(entry_of(n->right), e->key, e->klen) <= 0))
		return *why = "order", -1;
	(*count)++;
	int l = rb_check(n->left, n, count, why), r = rb_check(n->right, n, count, why);
	if (l < 0 || r < 0)
		return -1;
	if (l != r)
		return *why = "black height", -1;
	return l + rb_color(n);
}

/* ---- connections ---- */

struct conn {
	int fd;
	size_t len;
	char in[4096];
};

static struct conn *conns[MAX_CONNS];
static int listen_fd = -1;

static void reply(struct conn *c, const char *fmt, ...)
{
	char out[4200];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(out, sizeof out - 1, fmt, ap);
	va_end(ap);
	if (n < 0 || n > (int)sizeof out - 2)
		n = sizeof out - 2;
	out[n++] = '\n';
	for (int off = 0; off < n;) {
		ssize_t w = write(c->fd, out + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		off += w;
	}
}

static void command(struct conn *c, char *line)
{
	char *cmd = strtok(line, " "), *k = strtok(NULL, " "), *v = strtok(NULL, "");
	if (!cmd)
		return reply(c, "ERROR empty");
	if (!strcmp(cmd, "VERSION"))
		return reply(c, "VERSION rbkv %d", REL);
	if (!strcmp(cmd, "VERIFY")) {
		size_t n = 0;
		const char *why = "";
		int bh = rb_check(tree.node, NULL, &n, &why);
		if (bh < 0 || n != nkeys || rb_color(tree.node) != RB_BLACK)
			return reply(c, "VERIFY bad %s (%zu/%zu keys)", why, n, nkeys);
		return reply(c, "VERIFY ok keys=%zu height=%d deletions=%lu bytes=%zu", n, bh,
			     deletions, bytes_used);
	}
	if (!strcmp(cmd, "SCAN")) {
		cursor = cursor ? rb_next(cursor) : rb_first(&tree);
		if (!cursor)
			return reply(c, "END");
		struct entry *e = entry_of(cursor);
		return reply(c, "KEY %.*s", (int)e->klen, e->key);
	}
	if (!k)
		return reply(c, "ERROR no key");
	if (!strcmp(cmd, "SET") && v) {
		store_set(k, v);
		return reply(c, "OK");
	}
	if (!strcmp(cmd, "DEL"))
		return reply(c, store_del(k) ? "OK" : "NONE");
	struct entry *e = store_find(k);
	if (!strcmp(cmd, "GET")) {
		if (!e)
			return reply(c, "NONE");
#if REL >= 2
		e->hits++;
#endif
		return reply(c, "VALUE %.*s", (int)e->vlen, (char *)e->val);
	}
#if REL >= 2
	if (!strcmp(cmd, "HITS"))
		return reply(c, "HITS %lu", e ? e->hits : 0);
#endif
	reply(c, "ERROR unknown command %s", cmd);
}

static void conn_close(int i)
{
	close(conns[i]->fd);
	xfree(conns[i]);
	conns[i] = NULL;
}

static void conn_readable(int i)
{
	struct conn *c = conns[i];
	ssize_t r = read(c->fd, c->in + c->len, sizeof c->in - 1 - c->len);
	if (r <= 0) {
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			return;
		return conn_close(i);
	}
	c->len += r;
	char *nl;
	while ((nl = memchr(c->in, '\n', c->len))) {
		*nl = 0;
		if (nl > c->in && nl[-1] == '\r')
			nl[-1] = 0;
		command(c, c->in);
		size_t used = nl + 1 - c->in;
		memmove(c->in, nl + 1, c->len - used);
		c->len -= used;
	}
	if (c->len == sizeof c->in - 1)
		conn_close(i);
}

static void accept_one(void)
{
	int fd = accept(listen_fd, NULL, NULL);
	if (fd < 0)
		return;
	for (int i = 0; i < MAX_CONNS; i++)
		if (!conns[i]) {
			conns[i] = xalloc(sizeof *conns[i]);
			conns[i]->fd = fd;
			conns[i]->len = 0;
			return;
		}
	close(fd);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: rbkv PORT-FILE\n");
		return 2;
	}
	if (!stf_is_updating()) {
		struct sockaddr_in sa = { .sin_family = AF_INET,
					  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		socklen_t sl = sizeof sa;
		listen_fd = socket(AF_INET, SOCK_STREAM, 0);
		if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&sa, sizeof sa) ||
		    listen(listen_fd, 64) || getsockname(listen_fd, (struct sockaddr *)&sa, &sl)) {
			perror("rbkv");
			return 1;
		}
		FILE *f = fopen(argv[1], "w");
		if (!f || fprintf(f, "%d\n", ntohs(sa.sin_port)) < 0 || fclose(f)) {
			perror(argv[1]);
			return 1;
		}
	}
	for (;;) {
		struct pollfd pfd[MAX_CONNS + 2];
		int who[MAX_CONNS + 2], n = 0;
		pfd[n] = (struct pollfd){ .fd = listen_fd, .events = POLLIN };
		who[n++] = -1;
		pfd[n] = (struct pollfd){ .fd = stf_update_fd(), .events = POLLIN };
		who[n++] = -2;
		for (int i = 0; i < MAX_CONNS; i++)
			if (conns[i]) {
				pfd[n] = (struct pollfd){ .fd = conns[i]->fd, .events = POLLIN };
				who[n++] = i;
			}
		if (poll(pfd, n, 1000) < 0)
			continue;
		for (int j = 0; j < n; j++) {
			if (!pfd[j].revents)
				continue;
			if (who[j] == -1)
				accept_one();
			else if (who[j] == -2)
				stf_update_point();
			else if (conns[who[j]])
				conn_readable(who[j]);
		}
	}
}
