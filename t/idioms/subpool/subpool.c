/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * subpool - a key-value server with tags over epoll, written as an
 * outside C programmer writes one (wave 14's hunt).  Memory comes from
 * pools in a tree: each pool carves objects out of 4 KB chunks and has
 * child pools, destroyed with it.  Every record lives in its own sub-pool
 * of the store's pool (a value replaced often is compacted into a fresh
 * sub-pool); every connection in its own sub-pool of the connections'
 * pool, its session registered with epoll by pointer.  Objects of three
 * types (records, sessions, tags) are kept behind `void *` in generic
 * list nodes with a kind, the nodes recycled through a free list whose
 * nodes keep the pointer of the object they held; counts sit in `void *`
 * members.  The pool functions are declared STF_ALLOCATOR.  The update
 * point is at the top of the epoll loop, stf_update_fd() in the set.
 *
 * Protocol: SET k v -> OK, GET k -> VALUE v | NONE, DEL k -> OK | NONE,
 * TAG k name -> OK n (the record's tags) | NONE, TAGS k -> TAGS a,b,...
 * | NONE, POOLS -> POOLS n (pools in the tree), VERSION, VERIFY.  REL 2:
 * struct pool gains a byte count, struct record grows before its key and
 * at its end, struct tag and struct session grow, the settings gain a
 * member set by the startup; AGE k -> AGE n (SETs of the key since it was
 * made, counted by release 2 only).
 * Usage: subpool PORT-FILE
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stf.h>

#ifndef REL
#define REL 1
#endif

#define CHUNK 4096
#define NBUCKETS 512

/* ---- pools ---- */

struct chunk {
	struct chunk *next;
	size_t used, size;
	char data[];
};

struct pool {
	struct pool *parent, *child, *sibling;
	struct chunk *chunks;
	unsigned long nallocs;
#if REL >= 2
	size_t bytes;
#endif
};

STF_ALLOCATOR void *pool_alloc(struct pool *p, size_t n);
STF_ALLOCATOR char *pool_strdup(struct pool *p, const char *s);

struct pool *pool_create(struct pool *parent)
{
	struct pool *p = calloc(1, sizeof *p);

	p->parent = parent;
	if (parent) {
		p->sibling = parent->child;
		parent->child = p;
	}
	return p;
}

void pool_destroy(struct pool *p)
{
	struct pool **pp;
	struct chunk *c, *next;

	while (p->child)
		pool_destroy(p->child);
	if (p->parent) {
		for (pp = &p->parent->child; *pp != p; pp = &(*pp)->sibling)
			;
		*pp = p->sibling;
	}
	for (c = p->chunks; c; c = next) {
		next = c->next;
		free(c);
	}
	free(p);
}

void *pool_alloc(struct pool *p, size_t n)
{
	struct chunk *c = p->chunks;
	void *r;

	n = (n + 15) & ~(size_t)15;
	if (!c || c->used + n > c->size) {
		size_t size = n > CHUNK ? n : CHUNK;
		c = malloc(sizeof *c + size);
		c->used = 0;
		c->size = size;
		c->next = p->chunks;
		p->chunks = c;
	}
	r = c->data + c->used;
	c->used += n;
	p->nallocs++;
#if REL >= 2
	p->bytes += n;
#endif
	return r;
}

char *pool_strdup(struct pool *p, const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(pool_alloc(p, n), s, n);
}

static int pool_owns(struct pool *p, const void *q)
{
	struct chunk *c;

	for (c = p->chunks; c; c = c->next)
		if ((const char *)q >= c->data && (const char *)q < c->data + c->used)
			return 1;
	return 0;
}

static int pool_count(struct pool *p)
{
	int n = 1;

	for (p = p->child; p; p = p->sibling)
		n += pool_count(p);
	return n;
}

/* ---- generic lists of void * ---- */

enum kind { K_FREE, K_RECORD, K_SESSION, K_TAG };

struct node {
	enum kind kind;
	void *obj;
	struct node *next;
};

static struct node *free_nodes; /* recycled; their obj still set */

static struct node *node_new(struct pool *p, enum kind k, void *obj)
{
	struct node *n = free_nodes;

	if (n)
		free_nodes = n->next;
	else
		n = pool_alloc(p, sizeof *n);
	n->kind = k;
	n->obj = obj;
	n->next = NULL;
	return n;
}

static void node_free(struct node *n)
{
	n->kind = K_FREE;
	n->next = free_nodes;
	free_nodes = n;
}

/* ---- objects ---- */

struct tag {
	char name[12];
#if REL >= 2
	int weight;
#endif
	void *uses;      /* a count */
};

struct record {
	struct pool *pool;
#if REL >= 2
	unsigned flags;
#endif
	char *key;
	char *val;
	void *sets;      /* SETs since the last compaction */
	struct node *tags;
#if REL >= 2
	unsigned long age;
#endif
};

struct session {
	int fd;
	struct pool *pool;
#if REL >= 2
	int rel;
#endif
	char *in;
	size_t inlen, incap;
	void *nreq;      /* a count */
	struct node *self;
};

struct settings {
	int maxline;
	int compact_after;
#if REL >= 2
	int age_step;
#endif
};

static struct pool *root, *store_pool, *conn_pool, *node_pool;
static struct node *buckets[NBUCKETS];
static struct node *sessions;
static unsigned long nrecords;
static int epfd = -1, listen_fd = -1;
static struct settings set;

static unsigned hash(const char *s)
{
	unsigned h = 2166136261u;
	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h % NBUCKETS;
}

static struct node **find(const char *key)
{
	struct node **pp = &buckets[hash(key)];

	while (*pp && strcmp(((struct record *)(*pp)->obj)->key, key))
		pp = &(*pp)->next;
	return pp;
}

static struct record *record_new(const char *key, const char *val)
{
	struct pool *p = pool_create(store_pool);
	struct record *r = pool_alloc(p, sizeof *r);

	memset(r, 0, sizeof *r);
	r->pool = p;
	r->key = pool_strdup(p, key);
	r->val = pool_strdup(p, val);
	return r;
}

/* a value replaced often: the record moves into a fresh pool */
static struct record *record_compact(struct record *old)
{
	struct record *r = record_new(old->key, old->val);
	struct node *t, **tail = &r->tags;

#if REL >= 2
	r->age = old->age;
	r->flags = old->flags;
#endif
	for (t = old->tags; t; t = t->next) {
		struct tag *nt = pool_alloc(r->pool, sizeof *nt);
		*nt = *(struct tag *)t->obj;
		*tail = node_new(node_pool, K_TAG, nt);
		tail = &(*tail)->next;
	}
	while (old->tags) {
		t = old->tags;
		old->tags = t->next;
		node_free(t);
	}
	pool_destroy(old->pool);
	return r;
}

static void reply(struct session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));


static void reply(struct session *s, const char *fmt, ...)
{
	char buf[8192];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (write(s->fd, buf, (size_t)n) != n)
		fprintf(stderr, "subpool: short write\n");
}

/* Records and sessions are not looked for in their pools' chunks: one
 * whose struct an update grew leaves its chunk (ttst(7)); their strings
 * and buffers stay. */
static void verify(struct session *s)
{
	unsigned long n = 0;
	int b, nsess = 0;
	struct node *e, *t;

	for (b = 0; b < NBUCKETS; b++)
		for (e = buckets[b]; e; e = e->next) {
			struct record *r = e->obj;
			if (e->kind != K_RECORD || hash(r->key) != (unsigned)b || r->pool->parent != store_pool ||
			    !pool_owns(r->pool, r->key) ||
			    !pool_owns(r->pool, r->val) || (intptr_t)r->sets < 0) {
				reply(s, "VERIFY bad record in bucket %d\n", b);
				return;
			}
			for (t = r->tags; t; t = t->next)
				if (t->kind != K_TAG || !pool_owns(r->pool, t->obj) ||
				    (intptr_t)((struct tag *)t->obj)->uses < 1) {
					reply(s, "VERIFY bad tag of %s\n", r->key);
					return;
				}
			n++;
		}
	for (e = sessions; e; e = e->next) {
		struct session *ss = e->obj;
		if (e->kind != K_SESSION || ss->self != e || ss->pool->parent != conn_pool ||
		    !pool_owns(ss->pool, ss->in) || ss->inlen > ss->incap) {
			reply(s, "VERIFY bad session\n");
			return;
		}
		nsess++;
	}
	for (e = free_nodes; e; e = e->next)
		if (e->kind != K_FREE || !pool_owns(node_pool, e)) {
			reply(s, "VERIFY bad free node\n");
			return;
		}
	if (n != nrecords || pool_count(store_pool) != (int)n + 1 ||
	    pool_count(conn_pool) != nsess + 1 || set.maxline != 1024
#if REL >= 2
	    || set.age_step != 1
#endif
	) {
		reply(s, "VERIFY bad counts %lu/%lu records %d pools %d sessions\n", n, nrecords,
		      pool_count(store_pool), nsess);
		return;
	}
	reply(s, "VERIFY ok records=%lu sessions=%d pools=%d\n", n, nsess, pool_count(root));
}

static void command(struct session *s, char *line)
{
	char *av[3] = { 0 }, *p = line;
	int ac = 0;
	struct node **pp, *e, *t;
	struct record *r;

	while (ac < 3 && (av[ac] = strsep(&p, " ")))
		if (*av[ac])
			ac++;
	s->nreq = (void *)((intptr_t)s->nreq + 1);
	if (!ac) {
		reply(s, "ERROR empty\n");
		return;
	}
	if (!strcmp(av[0], "VERSION")) {
		reply(s, "VERSION subpool %d\n", REL);
		return;
	}
	if (!strcmp(av[0], "VERIFY")) {
		verify(s);
		return;
	}
	if (!strcmp(av[0], "POOLS")) {
		reply(s, "POOLS %d\n", pool_count(root));
		return;
	}
	if (ac < 2) {
		reply(s, "ERROR args\n");
		return;
	}
	pp = find(av[1]);
	e = *pp;
	r = e ? e->obj : NULL;
	if (!strcmp(av[0], "SET") && ac == 3) {
		if (!r) {
			r = record_new(av[1], av[2]);
			*pp = node_new(node_pool, K_RECORD, r);
			nrecords++;
		} else {
			r->val = pool_strdup(r->pool, av[2]); /* the old value stays in the pool */
			r->sets = (void *)((intptr_t)r->sets + 1);
			if ((intptr_t)r->sets >= set.compact_after)
				e->obj = r = record_compact(r);
		}
#if REL >= 2
		r->age += (unsigned long)set.age_step;
#endif
		reply(s, "OK\n");
	} else if (!r) {
		reply(s, "NONE\n");
	} else if (!strcmp(av[0], "GET")) {
		reply(s, "VALUE %s\n", r->val);
	} else if (!strcmp(av[0], "DEL")) {
		*pp = e->next;
		while (r->tags) {
			t = r->tags;
			r->tags = t->next;
			node_free(t);
		}
		pool_destroy(r->pool);
		node_free(e);
		nrecords--;
		reply(s, "OK\n");
	} else if (!strcmp(av[0], "TAG") && ac == 3) {
		int n = 0;
		struct tag *tg = NULL;
		for (t = r->tags; t; t = t->next, n++)
			if (!strcmp(((struct tag *)t->obj)->name, av[2]))
				tg = t->obj;
		if (!tg) {
			tg = pool_alloc(r->pool, sizeof *tg);
			memset(tg, 0, sizeof *tg);
			snprintf(tg->name, sizeof tg->name, "%s", av[2]);
			t = node_new(node_pool, K_TAG, tg);
			t->next = r->tags;
			r->tags = t;
			n++;
		}
		tg->uses = (void *)((intptr_t)tg->uses + 1);
		reply(s, "OK %d\n", n);
	} else if (!strcmp(av[0], "TAGS")) {
		char out[4096];
		size_t len = 0;
		for (t = r->tags; t && len < sizeof out - 32; t = t->next)
			len += (size_t)snprintf(out + len, sizeof out - len, "%s%s:%ld", len ? "," : "",
						((struct tag *)t->obj)->name,
						(long)(intptr_t)((struct tag *)t->obj)->uses);
		out[len] = 0;
		reply(s, "TAGS %s\n", out);
#if REL >= 2
	} else if (!strcmp(av[0], "AGE")) {
		reply(s, "AGE %lu\n", r->age);
#endif
	} else {
		reply(s, "ERROR unknown\n");
	}
}

static void session_close(struct session *s)
{
	struct node **pp;

	for (pp = &sessions; *pp != s->self; pp = &(*pp)->next)
		;
	*pp = s->self->next;
	node_free(s->self);
	epoll_ctl(epfd, EPOLL_CTL_DEL, s->fd, NULL);
	close(s->fd);
	pool_destroy(s->pool);
}

static void session_read(struct session *s)
{
	ssize_t n;
	char *nl;
	size_t used;

	if (s->incap - s->inlen < 512) {
		char *bigger = pool_alloc(s->pool, s->incap * 2);
		memcpy(bigger, s->in, s->inlen);
		s->in = bigger; /* the old buffer stays in the pool */
		s->incap *= 2;
	}
	n = read(s->fd, s->in + s->inlen, s->incap - s->inlen - 1);
	if (n <= 0) {
		if (n < 0 && errno == EAGAIN)
			return;
		session_close(s);
		return;
	}
	s->inlen += (size_t)n;
	while ((nl = memchr(s->in, '\n', s->inlen))) {
		*nl = 0;
		if (nl > s->in && nl[-1] == '\r')
			nl[-1] = 0;
		if (nl - s->in > set.maxline)
			reply(s, "ERROR too long\n");
		else
			command(s, s->in);
		used = (size_t)(nl - s->in) + 1;
		memmove(s->in, nl + 1, s->inlen - used);
		s->inlen -= used;
	}
}

static void session_open(void)
{
	int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK);
	struct pool *p;
	struct session *s;
	struct epoll_event ev = { .events = EPOLLIN };

	if (fd < 0)
		return;
	p = pool_create(conn_pool);
	s = pool_alloc(p, sizeof *s);
	memset(s, 0, sizeof *s);
	s->fd = fd;
	s->pool = p;
#if REL >= 2
	s->rel = REL;
#endif
	s->incap = 1024;
	s->in = pool_alloc(p, s->incap);
	s->self = node_new(node_pool, K_SESSION, s);
	s->self->next = sessions;
	sessions = s->self;
	ev.data.ptr = s;
	epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

static void serve(void)
{
	struct epoll_event evs[32];
	int n, i;

	for (;;) {
		stf_update_point();
		n = epoll_wait(epfd, evs, 32, 1000);
		for (i = 0; i < n; i++) {
			if (evs[i].data.ptr == &listen_fd)
				session_open();
			else if (evs[i].data.ptr == &epfd)
				continue; /* stf_update_fd(): the loop's top takes it */
			else
				session_read(evs[i].data.ptr);
		}
	}
}

static void start(const char *port_file)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof sa;
	struct epoll_event ev = { .events = EPOLLIN };
	int one = 1;
	FILE *f;

	root = pool_create(NULL);
	store_pool = pool_create(root);
	conn_pool = pool_create(root);
	node_pool = pool_create(root);
	listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(listen_fd, (struct sockaddr *)&sa, sizeof sa) || listen(listen_fd, 128) ||
	    getsockname(listen_fd, (struct sockaddr *)&sa, &len)) {
		perror("subpool: listen");
		exit(1);
	}
	epfd = epoll_create1(0);
	ev.data.ptr = &listen_fd;
	epoll_ctl(epfd, EPOLL_CTL_ADD, listen_fd, &ev);
	ev.data.ptr = &epfd;
	epoll_ctl(epfd, EPOLL_CTL_ADD, stf_update_fd(), &ev);
	f = fopen(port_file, "w");
	if (!f || fprintf(f, "%d\n", ntohs(sa.sin_port)) < 0 || fclose(f)) {
		perror(port_file);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: subpool PORT-FILE\n");
		return 2;
	}
	set.maxline = 1024;
	set.compact_after = 8;
#if REL >= 2
	set.age_step = 1;
#endif
	if (!stf_is_updating())
		start(argv[1]);
	serve();
	return 1;
}
