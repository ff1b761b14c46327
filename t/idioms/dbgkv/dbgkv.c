/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * dbgkv - a key-value server on libev with a leak-tracking allocator,
 * written as an outside C programmer writes one (wave 14's hunt).  Every
 * block carries a 48-byte header before the pointer handed out: links to
 * the previous and next live blocks (a doubly linked list of everything
 * allocated, walked to report leaks), the __FILE__ and __LINE__ of the
 * call, the size and a magic number; the allocation functions are
 * reached through macros adding the place.  Keys live in an unbalanced
 * binary search tree; each connection embeds its libev watchers in a
 * tracked block, and its pending output is a list of chunks; the
 * server's statistics keep small integers in `void *` members and a
 * deleted node's freed children pointers are left in the freed block's
 * place (the parent's pointer is rewritten, the node's own are not
 * cleared).  The update point is in the callback of an ev_io on
 * stf_update_fd(), first called from main.
 *
 * Protocol: SET k v -> OK, GET k -> VALUE v | NONE, DEL k -> OK | NONE,
 * BLOCKS -> BLOCKS n (live tracked blocks), WHERE k -> WHERE file:line
 * (where the key's value was allocated), VERSION, VERIFY.  REL 2: the
 * tree node grows before its key and at its end, the connection grows
 * between its watchers, the options gain a member set by the startup;
 * DEPTH k -> DEPTH n.
 * Usage: dbgkv PORT-FILE
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <ev.h>
#include <stf.h>

#ifndef REL
#define REL 1
#endif

#define DBG_MAGIC 0x4442474du

/* ---- the tracking allocator ---- */

struct dbg_hdr {
	struct dbg_hdr *prev, *next;
	const char *file;
	int line;
	unsigned magic;
	size_t size;
	size_t pad;
};

static struct dbg_hdr *dbg_head;
static long dbg_count;

STF_ALLOCATOR void *dbg_malloc(size_t n, const char *file, int line);
STF_ALLOCATOR char *dbg_strdup(const char *s, const char *file, int line);

#define xmalloc(n) dbg_malloc((n), __FILE__, __LINE__)
#define xstrdup(s) dbg_strdup((s), __FILE__, __LINE__)
#define xfree(p) dbg_free(p)

void *dbg_malloc(size_t n, const char *file, int line)
{
	struct dbg_hdr *h = malloc(sizeof *h + n);

	if (!h)
		abort();
	h->prev = NULL;
	h->next = dbg_head;
	if (dbg_head)
		dbg_head->prev = h;
	dbg_head = h;
	h->file = file;
	h->line = line;
	h->magic = DBG_MAGIC;
	h->size = n;
	dbg_count++;
	return h + 1;
}

char *dbg_strdup(const char *s, const char *file, int line)
{
	size_t n = strlen(s) + 1;

	return memcpy(dbg_malloc(n, file, line), s, n);
}

static struct dbg_hdr *dbg_header(const void *p)
{
	struct dbg_hdr *h = (struct dbg_hdr *)p - 1;

	if (h->magic != DBG_MAGIC) {
		fprintf(stderr, "dbgkv: bad block %p\n", p);
		abort();
	}
	return h;
}

void dbg_free(void *p)
{
	struct dbg_hdr *h;

	if (!p)
		return;
	h = dbg_header(p);
	if (h->prev)
		h->prev->next = h->next;
	else
		dbg_head = h->next;
	if (h->next)
		h->next->prev = h->prev;
	h->magic = 0;
	dbg_count--;
	free(h);
}

/* ---- the tree ---- */

struct tnode {
#if REL >= 2
	int balance;
#endif
	char *key;
	char *val;
	struct tnode *left, *right;
#if REL >= 2
	unsigned long reads;
#endif
};

static struct tnode *tree;
static unsigned long nkeys;

static struct tnode **tfind(const char *key, int *depth)
{
	struct tnode **pp = &tree;
	int c;

	*depth = 0;
	while (*pp && (c = strcmp(key, (*pp)->key))) {
		pp = c < 0 ? &(*pp)->left : &(*pp)->right;
		++*depth;
	}
	return pp;
}

static void tdelete(struct tnode **pp)
{
	struct tnode *n = *pp, **mp, *m;

	if (!n->left) {
		*pp = n->right;
	} else if (!n->right) {
		*pp = n->left;
	} else {
		for (mp = &n->right; (*mp)->left; mp = &(*mp)->left)
			;
		m = *mp;
		*mp = m->right;
		m->left = n->left;
		m->right = n->right;
		*pp = m;
	}
	xfree(n->key);
	xfree(n->val);
	xfree(n); /* its left and right are not cleared */
}

/* ---- connections ---- */

struct outchunk {
	struct outchunk *next;
	size_t len, off;
	char data[];
};

struct conn {
	ev_io rw;
#if REL >= 2
	unsigned long lines;
#endif
	ev_io ww;
	char in[2048];
	size_t inlen;
	struct outchunk *out, **outtail;
	struct conn *prev, *next;
};

struct options {
	int maxval;
	int linger_ms;
#if REL >= 2
	int depth_offset;
#endif
};

static struct {
	void *conns_open;     /* counts */
	void *conns_total;
	void *requests;
	struct conn *conns;
} stats;

static struct options opt;
static struct ev_loop *loop;
static ev_io accept_w, update_w;
static int listen_fd = -1;

static void out_add(struct conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));


static void out_add(struct conn *c, const char *fmt, ...)
{
	char buf[4096];
	va_list ap;
	int n;
	struct outchunk *o;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	o = xmalloc(sizeof *o + (size_t)n);
	o->next = NULL;
	o->len = (size_t)n;
	o->off = 0;
	memcpy(o->data, buf, (size_t)n);
	*c->outtail = o;
	c->outtail = &o->next;
	ev_io_start(loop, &c->ww);
}

/* Strings only are checked against their headers: a node grown by an
 * update keeps the size it was allocated with (ttst(7)). */
static int verify_tree(struct tnode *n, const char *lo, const char *hi, unsigned long *count)
{
	if (!n)
		return 1;
	if ((lo && strcmp(n->key, lo) <= 0) || (hi && strcmp(n->key, hi) >= 0) ||
	    dbg_header(n->key)->size != strlen(n->key) + 1 ||
	    dbg_header(n->val)->size != strlen(n->val) + 1)
		return 0;
	++*count;
	return verify_tree(n->left, lo, n->key, count) && verify_tree(n->right, n->key, hi, count);
}

static void verify(struct conn *c)
{
	unsigned long n = 0;
	long blocks = 0, open = 0;
	struct dbg_hdr *h;
	struct conn *k;

	if (!verify_tree(tree, NULL, NULL, &n) || n != nkeys) {
		out_add(c, "VERIFY bad tree %lu/%lu\n", n, nkeys);
		return;
	}
	for (h = dbg_head; h; h = h->next) {
		if (h->magic != DBG_MAGIC || (h->next && h->next->prev != h) ||
		    strcmp(h->file, __FILE__) || h->line < 1) {
			out_add(c, "VERIFY bad block %ld\n", blocks);
			return;
		}
		blocks++;
	}
	for (k = stats.conns; k; k = k->next) {
		if (k->rw.fd != k->ww.fd || !ev_is_active(&k->rw) || (k->next && k->next->prev != k)) {
			out_add(c, "VERIFY bad connection\n");
			return;
		}
		open++;
	}
	if (blocks != dbg_count || open != (intptr_t)stats.conns_open || opt.maxval != 1000
#if REL >= 2
	    || opt.depth_offset != 100
#endif
	) {
		out_add(c, "VERIFY bad counts %ld/%ld blocks %ld/%ld conns\n", blocks, dbg_count, open,
			(long)(intptr_t)stats.conns_open);
		return;
	}
	out_add(c, "VERIFY ok keys=%lu blocks=%ld conns=%ld\n", n, blocks, open);
}

static void command(struct conn *c, char *line)
{
	char *av[3] = { 0 }, *p = line;
	int ac = 0, depth;
	struct tnode **pp, *t;

	while (ac < 3 && (av[ac] = strsep(&p, " ")))
		if (*av[ac])
			ac++;
	stats.requests = (void *)((intptr_t)stats.requests + 1);
	if (ac == 1 && !strcmp(av[0], "VERSION")) {
		out_add(c, "VERSION dbgkv %d\n", REL);
		return;
	}
	if (ac == 1 && !strcmp(av[0], "VERIFY")) {
		verify(c);
		return;
	}
	if (ac == 1 && !strcmp(av[0], "BLOCKS")) {
		out_add(c, "BLOCKS %ld\n", dbg_count);
		return;
	}
	if (ac < 2) {
		out_add(c, "ERROR args\n");
		return;
	}
	pp = tfind(av[1], &depth);
	t = *pp;
	if (!strcmp(av[0], "SET") && ac == 3) {
		if ((int)strlen(av[2]) > opt.maxval) {
			out_add(c, "ERROR too big\n");
			return;
		}
		if (!t) {
			t = xmalloc(sizeof *t);
			memset(t, 0, sizeof *t);
			t->key = xstrdup(av[1]);
			*pp = t;
			nkeys++;
		} else {
			xfree(t->val);
		}
		t->val = xstrdup(av[2]);
		out_add(c, "OK\n");
	} else if (!t) {
		out_add(c, "NONE\n");
	} else if (!strcmp(av[0], "GET")) {
#if REL >= 2
		t->reads++;
#endif
		out_add(c, "VALUE %s\n", t->val);
	} else if (!strcmp(av[0], "DEL")) {
		tdelete(pp);
		nkeys--;
		out_add(c, "OK\n");
	} else if (!strcmp(av[0], "WHERE")) {
		struct dbg_hdr *h = dbg_header(t->val);
		out_add(c, "WHERE %s:%d\n", h->file, h->line);
#if REL >= 2
	} else if (!strcmp(av[0], "DEPTH")) {
		out_add(c, "DEPTH %d\n", opt.depth_offset + depth);
#endif
	} else {
		out_add(c, "ERROR unknown\n");
	}
}

static void conn_close(struct conn *c)
{
	struct outchunk *o;

	ev_io_stop(loop, &c->rw);
	ev_io_stop(loop, &c->ww);
	close(c->rw.fd);
	while ((o = c->out)) {
		c->out = o->next;
		xfree(o);
	}
	if (c->prev)
		c->prev->next = c->next;
	else
		stats.conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	stats.conns_open = (void *)((intptr_t)stats.conns_open - 1);
	xfree(c);
}

static void on_write(struct ev_loop *l, ev_io *w, int revents)
{
	struct conn *c = (struct conn *)((char *)w - offsetof(struct conn, ww));
	struct outchunk *o;
	ssize_t n;

	(void)l, (void)revents;
	while ((o = c->out)) {
		n = write(w->fd, o->data + o->off, o->len - o->off);
		if (n < 0)
			return;
		o->off += (size_t)n;
		if (o->off < o->len)
			return;
		c->out = o->next;
		if (!c->out)
			c->outtail = &c->out;
		xfree(o);
	}
	ev_io_stop(loop, w);
}

static void on_read(struct ev_loop *l, ev_io *w, int revents)
{
	struct conn *c = (struct conn *)w;
	ssize_t n;
	char *nl;
	size_t used;

	(void)l, (void)revents;
	n = read(w->fd, c->in + c->inlen, sizeof c->in - c->inlen - 1);
	if (n <= 0) {
		if (n < 0 && errno == EAGAIN)
			return;
		conn_close(c);
		return;
	}
	c->inlen += (size_t)n;
	while ((nl = memchr(c->in, '\n', c->inlen))) {
		*nl = 0;
		if (nl > c->in && nl[-1] == '\r')
			nl[-1] = 0;
		command(c, c->in);
#if REL >= 2
		c->lines++;
#endif
		used = (size_t)(nl - c->in) + 1;
		memmove(c->in, nl + 1, c->inlen - used);
		c->inlen -= used;
	}
	if (c->inlen == sizeof c->in - 1) {
		out_add(c, "ERROR too long\n");
		c->inlen = 0;
	}
}

static void on_accept(struct ev_loop *l, ev_io *w, int revents)
{
	int fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK);
	struct conn *c;

	(void)revents;
	if (fd < 0)
		return;
	c = xmalloc(sizeof *c);
	memset(c, 0, sizeof *c);
	c->outtail = &c->out;
	ev_io_init(&c->rw, on_read, fd, EV_READ);
	ev_io_init(&c->ww, on_write, fd, EV_WRITE);
	ev_io_start(l, &c->rw);
	c->next = stats.conns;
	if (c->next)
		c->next->prev = c;
	stats.conns = c;
	stats.conns_open = (void *)((intptr_t)stats.conns_open + 1);
	stats.conns_total = (void *)((intptr_t)stats.conns_total + 1);
}

static void on_update(struct ev_loop *l, ev_io *w, int revents)
{
	(void)l, (void)w, (void)revents;
	stf_update_point();
}

static void start(const char *port_file)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof sa;
	int one = 1;
	FILE *f;

	loop = ev_default_loop(0);
	listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(listen_fd, (struct sockaddr *)&sa, sizeof sa) || listen(listen_fd, 128) ||
	    getsockname(listen_fd, (struct sockaddr *)&sa, &len)) {
		perror("dbgkv: listen");
		exit(1);
	}
	ev_io_init(&accept_w, on_accept, listen_fd, EV_READ);
	ev_io_start(loop, &accept_w);
	ev_io_init(&update_w, on_update, stf_update_fd(), EV_READ);
	ev_io_start(loop, &update_w);
	f = fopen(port_file, "w");
	if (!f || fprintf(f, "%d\n", ntohs(sa.sin_port)) < 0 || fclose(f)) {
		perror(port_file);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: dbgkv PORT-FILE\n");
		return 2;
	}
	opt.maxval = 1000;
	opt.linger_ms = 50;
#if REL >= 2
	opt.depth_offset = 100;
#endif
	if (!stf_is_updating())
		start(argv[1]);
	on_update(loop, &update_w, 0);
	ev_run(loop, 0);
	fprintf(stderr, "dbgkv: the event loop ended\n");
	return 1;
}
