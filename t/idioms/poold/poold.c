/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * poold - a key-value server with APR-style memory pools and a worker
 * pool: the main thread reads requests (epoll) into jobs allocated from
 * the connection's pool and queues them; three workers wait on a
 * condition variable, run a job and write its reply.  Pools form a tree
 * (a connection's pool is a child of the server pool), carry cleanup
 * callbacks (function pointer + void * data) run when destroyed, and are
 * cleared as a whole.  Values live in a store pool that is compacted
 * (live values copied to a fresh pool, the old one destroyed) once
 * enough of it is garbage.
 *
 * Protocol: SET, GET, DEL, VERSION, VERIFY, POOLS (REL 2: also PEAK).
 * Usage: poold PORT-FILE
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
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

/* ---- pools ---- */
#define POOL_BLOCK 8192

struct pool_block {
	struct pool_block *next;
	size_t used, size;
	unsigned char mem[];
};

struct cleanup {
	struct cleanup *next;
	void (*fn)(void *data);
	void *data;
};

struct pool {
	struct pool *parent, *children, *sibling;
	struct pool_block *blocks;
	struct cleanup *cleanups;
	size_t allocated;
#if REL >= 2
	size_t peak;
#endif
	const char *tag;
};

struct pool *pool_create(struct pool *parent, const char *tag);
void pool_destroy(struct pool *p);
void *pool_alloc(struct pool *p, size_t n) STF_ALLOCATOR;
char *pool_strdup(struct pool *p, const char *s) STF_ALLOCATOR;

static unsigned long pools_live;

struct pool *pool_create(struct pool *parent, const char *tag)
{
	struct pool *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->parent = parent;
	p->tag = tag;
	if (parent) {
		p->sibling = parent->children;
		parent->children = p;
	}
	pools_live++;
	return p;
}

void *pool_alloc(struct pool *p, size_t n)
{
	n = (n + 15) & ~(size_t)15;
	struct pool_block *b = p->blocks;
	if (!b || b->size - b->used < n) {
		size_t size = n > POOL_BLOCK ? n : POOL_BLOCK;
		b = malloc(sizeof(*b) + size);
		if (!b)
			return NULL;
		b->next = p->blocks;
		b->used = 0;
		b->size = size;
		p->blocks = b;
	}
	void *r = b->mem + b->used;
	b->used += n;
	p->allocated += n;
#if REL >= 2
	if (p->allocated > p->peak)
		p->peak = p->allocated;
#endif
	return r;
}

char *pool_strdup(struct pool *p, const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = pool_alloc(p, n);
	if (d)
		memcpy(d, s, n);
	return d;
}

static void pool_on_destroy(struct pool *p, void (*fn)(void *), void *data)
{
	struct cleanup *c = pool_alloc(p, sizeof(*c));
	if (!c)
		return;
	c->fn = fn;
	c->data = data;
	c->next = p->cleanups;
	p->cleanups = c;
}

/* Frees the pool's memory but keeps the pool (cleanups run). */
static void pool_clear(struct pool *p)
{
	while (p->children)
		pool_destroy(p->children);
	for (struct cleanup *c = p->cleanups; c; c = c->next)
		c->fn(c->data);
	p->cleanups = NULL;
	while (p->blocks) {
		struct pool_block *b = p->blocks;
		p->blocks = b->next;
		free(b);
	}
	p->allocated = 0;
}

void pool_destroy(struct pool *p)
{
	pool_clear(p);
	if (p->parent) {
		struct pool **s = &p->parent->children;
		while (*s != p)
			s = &(*s)->sibling;
		*s = p->sibling;
	}
	pools_live--;
	free(p);
}

/* ---- the store ---- */
#define NBUCKETS 2048
struct item {
	struct item *next;
	const char *key, *val;
};
static struct pool *server_pool, *store_pool;
static struct item *buckets[NBUCKETS];
static size_t nitems, store_garbage, compactions;
static pthread_mutex_t store_lock = PTHREAD_MUTEX_INITIALIZER;

static unsigned hash(const char *s)
{
	unsigned h = 7;
	while (*s)
		h = h * 31 + (unsigned char)*s++;
	return h % NBUCKETS;
}

/* Copies every live item into a fresh pool and drops the old one. */
static void compact(void)
{
	struct pool *np = pool_create(server_pool, "store");
	if (!np)
		return;
	for (unsigned b = 0; b < NBUCKETS; b++) {
		struct item *list = NULL;
		for (struct item *i = buckets[b]; i; i = i->next) {
			struct item *c = pool_alloc(np, sizeof(*c));
			c->key = pool_strdup(np, i->key);
			c->val = pool_strdup(np, i->val);
			c->next = list;
			list = c;
		}
		buckets[b] = list;
	}
	pool_destroy(store_pool);
	store_pool = np;
	store_garbage = 0;
	compactions++;
}

static void store_set(const char *k, const char *v)
{
	unsigned b = hash(k);
	struct item **p = &buckets[b];
	while (*p && strcmp((*p)->key, k))
		p = &(*p)->next;
	if (*p) {
		store_garbage += strlen((*p)->val) + 1;
		(*p)->val = pool_strdup(store_pool, v);
	} else {
		struct item *i = pool_alloc(store_pool, sizeof(*i));
		i->key = pool_strdup(store_pool, k);
		i->val = pool_strdup(store_pool, v);
		i->next = buckets[b];
		buckets[b] = i;
		nitems++;
	}
	if (store_garbage > 256 * 1024)
		compact();
}

static int store_del(const char *k)
{
	struct item **p = &buckets[hash(k)];
	while (*p && strcmp((*p)->key, k))
		p = &(*p)->next;
	if (!*p)
		return 0;
	store_garbage += sizeof(**p) + strlen((*p)->key) + strlen((*p)->val) + 2;
	*p = (*p)->next;
	nitems--;
	return 1;
}

/* ---- connections, jobs, workers ---- */
struct conn {
	int fd;
	struct pool *pool;      /* child of server_pool; closes the socket */
	struct pool *jobs;      /* child of pool: the jobs, cleared when idle */
	unsigned pending;       /* queued jobs */
	int closing;
	size_t len;
	char in[2048];
};

struct job {
	struct job *next;
	struct conn *conn;
	char *line;
#if REL >= 2
	unsigned long queued_at;
#endif
};

static struct job *queue_head, **queue_tail = &queue_head;
static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t queue_cond = PTHREAD_COND_INITIALIZER;
static pthread_t workers[3];
static unsigned long jobs_done, conns_closed, ticks;
static int epfd = -1, listen_fd = -1;

static void conn_closed(void *data)
{
	close(((struct conn *)data)->fd);
	conns_closed++;
}

static void reply(struct conn *c, const char *s)
{
	char buf[4200];
	size_t n = strlen(s);
	memcpy(buf, s, n);
	buf[n++] = '\n';
	for (size_t off = 0; off < n;) {
		ssize_t w = write(c->fd, buf + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		off += (size_t)w;
	}
}

static void run_job(struct job *j, char *out, size_t size)
{
	char *save, *cmd = strtok_r(j->line, " ", &save), *a = strtok_r(NULL, " ", &save),
		    *b = strtok_r(NULL, "", &save);
	pthread_mutex_lock(&store_lock);
	if (!cmd) {
		snprintf(out, size, "ERROR empty");
	} else if (!strcmp(cmd, "SET") && a && b) {
		store_set(a, b);
		snprintf(out, size, "OK");
	} else if (!strcmp(cmd, "GET") && a) {
		struct item *i = buckets[hash(a)];
		while (i && strcmp(i->key, a))
			i = i->next;
		if (i)
			snprintf(out, size, "VALUE %s", i->val);
		else
			snprintf(out, size, "NONE");
	} else if (!strcmp(cmd, "DEL") && a) {
		snprintf(out, size, store_del(a) ? "OK" : "NONE");
	} else if (!strcmp(cmd, "VERSION")) {
		snprintf(out, size, "VERSION poold %d", REL);
	} else if (!strcmp(cmd, "POOLS")) {
		snprintf(out, size, "POOLS live=%lu compactions=%zu", pools_live, compactions);
#if REL >= 2
	} else if (!strcmp(cmd, "PEAK")) {
		snprintf(out, size, "PEAK %zu", store_pool->peak);
#endif
	} else if (!strcmp(cmd, "VERIFY")) {
		size_t n = 0;
		const char *bad = NULL;
		for (unsigned k = 0; k < NBUCKETS && !bad; k++)
			for (struct item *i = buckets[k]; i; i = i->next, n++)
				if (hash(i->key) != k) {
					bad = i->key;
					break;
				}
		if (bad || n != nitems || store_pool->parent != server_pool)
			snprintf(out, size, "VERIFY bad %s %zu/%zu", bad ? bad : "-", n, nitems);
		else
			snprintf(out, size, "VERIFY ok items=%zu pools=%lu compactions=%zu", nitems,
				 pools_live, compactions);
	} else {
		snprintf(out, size, "ERROR unknown");
	}
	pthread_mutex_unlock(&store_lock);
}

static void *worker_main(void *arg)
{
	(void)arg;
	char out[4200];
	for (;;) {
		pthread_mutex_lock(&queue_lock);
		while (!queue_head)
			pthread_cond_wait(&queue_cond, &queue_lock); /* an update point */
		struct job *j = queue_head;
		queue_head = j->next;
		if (!queue_head)
			queue_tail = &queue_head;
		pthread_mutex_unlock(&queue_lock);
		run_job(j, out, sizeof out);
		reply(j->conn, out);
		pthread_mutex_lock(&queue_lock);
		j->conn->pending--;
		jobs_done++;
		pthread_mutex_unlock(&queue_lock);
	}
	return NULL;
}

static void enqueue(struct conn *c, const char *line)
{
	pthread_mutex_lock(&queue_lock);
	if (!c->pending)
		pool_clear(c->jobs); /* every earlier job is done */
	struct job *j = pool_alloc(c->jobs, sizeof(*j));
	if (j && (j->line = pool_strdup(c->jobs, line))) {
		j->conn = c;
		j->next = NULL;
#if REL >= 2
		j->queued_at = ticks;
#endif
		c->pending++;
		*queue_tail = j;
		queue_tail = &j->next;
		pthread_cond_signal(&queue_cond);
	}
	pthread_mutex_unlock(&queue_lock);
}

static void readable(struct conn *c)
{
	ssize_t r = read(c->fd, c->in + c->len, sizeof c->in - c->len);
	if (r <= 0) {
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			return;
		epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
		c->closing = 1;
		return;
	}
	c->len += (size_t)r;
	char *nl;
	while ((nl = memchr(c->in, '\n', c->len))) {
		*nl = 0;
		enqueue(c, c->in);
		size_t taken = (size_t)(nl - c->in) + 1;
		memmove(c->in, c->in + taken, c->len - taken);
		c->len -= taken;
	}
}

/* Connections whose client left are destroyed once their jobs ran. */
static struct conn *closing[256];
static unsigned nclosing;

static void reap(void)
{
	for (unsigned k = 0; k < nclosing;) {
		struct conn *c = closing[k];
		pthread_mutex_lock(&queue_lock);
		int idle = !c->pending;
		if (idle)
			pool_destroy(c->pool); /* closes the socket */
		pthread_mutex_unlock(&queue_lock);
		if (idle) {
			free(c);
			closing[k] = closing[--nclosing];
		} else {
			k++;
		}
	}
}

int main(int argc, char **argv)
{
	static struct conn listener;
	if (argc != 2) {
		fprintf(stderr, "usage: poold PORT-FILE\n");
		return 2;
	}
	if (!stf_is_updating()) {
		struct sockaddr_in sa = { .sin_family = AF_INET,
					  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		socklen_t sl = sizeof sa;
		server_pool = pool_create(NULL, "server");
		store_pool = pool_create(server_pool, "store");
		listen_fd = socket(AF_INET, SOCK_STREAM, 0);
		epfd = epoll_create1(0);
		if (listen_fd < 0 || epfd < 0 || bind(listen_fd, (struct sockaddr *)&sa, sizeof sa) ||
		    listen(listen_fd, 64) || getsockname(listen_fd, (struct sockaddr *)&sa, &sl)) {
			perror("poold");
			return 1;
		}
		listener.fd = listen_fd;
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &listener };
		epoll_ctl(epfd, EPOLL_CTL_ADD, listen_fd, &ev);
		for (int i = 0; i < 3; i++)
			pthread_create(&workers[i], NULL, worker_main, NULL);
		FILE *f = fopen(argv[1], "w");
		if (!f || fprintf(f, "%d\n", ntohs(sa.sin_port)) < 0 || fclose(f)) {
			perror(argv[1]);
			return 1;
		}
	}
	for (;; ticks++) {
		struct epoll_event evs[16];
		stf_update_point();
		reap();
		int n = epoll_wait(epfd, evs, 16, 100);
		for (int k = 0; k < n; k++) {
			struct conn *c = evs[k].data.ptr;
			if (c != &listener) {
				readable(c);
				if (c->closing && nclosing < 256)
					closing[nclosing++] = c;
				continue;
			}
			int fd = accept(listen_fd, NULL, NULL);
			struct conn *nc = fd >= 0 ? calloc(1, sizeof(*nc)) : NULL;
			if (!nc || !(nc->pool = pool_create(server_pool, "conn")) ||
			    !(nc->jobs = pool_create(nc->pool, "jobs"))) {
				if (nc && nc->pool)
					pool_destroy(nc->pool);
				free(nc);
				if (fd >= 0)
					close(fd);
				continue;
			}
			nc->fd = fd;
			pool_on_destroy(nc->pool, conn_closed, nc);
			struct epoll_event ev = { .events = EPOLLIN, .data.ptr = nc };
			epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
		}
	}
}
