/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * jobq - a threaded key-value server written as a stranger would (wave 9's
 * examiner), at -O0: the main thread reads requests with epoll and hands
 * each to one of three workers as a task on that worker's own queue (a
 * ring of `struct task { void (*fn)(void *); void *arg; }`, a mutex and a
 * condition variable per worker); the worker calls t.fn(t.arg), which
 * casts its `void *` back to the request.  Requests come from a free-list
 * allocator of fixed-size blocks (declared STF_ALLOCATOR), replies are
 * written by the worker.  A table of `void *` handles keeps objects of two
 * allocators: sessions from malloc and notes from the free-list allocator,
 * told apart by a parallel array of kinds.  The store is a hash of entries
 * whose `void *` value is a malloc'd string.
 *
 * Protocol: SET k v, GET k, DEL k, VERSION, VERIFY, OPEN name -> HANDLE h
 * (a session), NOTE text -> HANDLE h (a note), SHOW h -> SESSION name n |
 * NOTE text, TOUCH h -> TOUCHED n (a session's uses).
 * REL 2: sessions grow (a creation serial before the name), requests grow
 * (the worker's number), SERIAL h -> SERIAL n.
 * Usage: jobq PORT-FILE
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
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
#pragma GCC optimize("O0") /* both releases built at -O0 */

#define NWORKERS 3
#define QUEUE_SIZE 256
#define NHANDLES 256
#define NBUCKETS 1024
#define BLOCK_SIZE 512

/* ---- fixed-size free-list allocator ---- */

union block {
	union block *next_free;
	char bytes[BLOCK_SIZE];
};

static pthread_mutex_t blocks_lock = PTHREAD_MUTEX_INITIALIZER;
static union block *free_blocks;
static unsigned long blocks_out;

void *block_get(void) STF_ALLOCATOR;
void block_put(void *p);

void *block_get(void)
{
	pthread_mutex_lock(&blocks_lock);
	union block *b = free_blocks;
	if (b) {
		free_blocks = b->next_free;
	} else {
		/* carve a chunk of 16 blocks: 15 go to the free list */
		union block *chunk = malloc(16 * sizeof *chunk);
		if (chunk) {
			for (int i = 1; i < 15; i++)
				chunk[i].next_free = &chunk[i + 1];
			chunk[15].next_free = free_blocks;
			free_blocks = &chunk[1];
			b = &chunk[0];
		}
	}
	if (b)
		blocks_out++;
	pthread_mutex_unlock(&blocks_lock);
	return b;
}

void block_put(void *p)
{
	union block *b = p;
	pthread_mutex_lock(&blocks_lock);
	b->next_free = free_blocks;
	free_blocks = b;
	blocks_out--;
	pthread_mutex_unlock(&blocks_lock);
}

/* ---- the store ---- */

struct entry {
	struct entry *next;
	char *key;
	void *value; /* a malloc'd string */
};

static pthread_mutex_t store_lock = PTHREAD_MUTEX_INITIALIZER;
static struct entry *buckets[NBUCKETS];
static unsigned long nentries;

static unsigned hash(const char *s)
{
	unsigned h = 5381;
	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h % NBUCKETS;
}

static struct entry **find(const char *k)
{
	struct entry **pp = &buckets[hash(k)];
	while (*pp && strcmp((*pp)->key, k))
		pp = &(*pp)->next;
	return pp;
}

/* ---- handles to objects of two allocators ---- */

enum { H_FREE, H_SESSION, H_NOTE };

struct session {
#if REL >= 2
	unsigned long serial; /* new in 2 */
#endif
	char name[32];
	unsigned long uses;
};

struct note {
	unsigned len;
	char text[];
};

static pthread_mutex_t handles_lock = PTHREAD_MUTEX_INITIALIZER;
static void *handles[NHANDLES];
static unsigned char handle_kind[NHANDLES];
static unsigned long sessions_made;

static int handle_new(void *obj, int kind)
{
	for (int h = 1; h < NHANDLES; h++)
		if (handle_kind[h] == H_FREE) {
			handles[h] = obj;
			handle_kind[h] = kind;
			return h;
		}
	return -1;
}

/* ---- requests, tasks, workers ---- */

struct conn {
	int fd;
	size_t len;
	pthread_mutex_t write_lock;
	char in[2048];
};

struct request {
	struct conn *conn;
#if REL >= 2
	int worker; /* new in 2 */
#endif
	char line[400];
};

struct task {
	void (*fn)(void *);
	void *arg;
};

struct worker {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t ready;
	unsigned head, tail; /* tasks[head % QUEUE_SIZE] is the next */
	struct task tasks[QUEUE_SIZE];
	unsigned long done;
};

static struct worker workers[NWORKERS];

static void reply(struct conn *c, const char *fmt, ...)
{
	char out[600];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(out, sizeof out - 1, fmt, ap);
	va_end(ap);
	if (n < 0 || n > (int)sizeof out - 2)
		n = sizeof out - 2;
	out[n++] = '\n';
	pthread_mutex_lock(&c->write_lock);
	for (int off = 0; off < n;) {
		ssize_t w = write(c->fd, out + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += w;
	}
	pthread_mutex_unlock(&c->write_lock);
}

static void verify(char *out, size_t size)
{
	unsigned long n = 0;
	pthread_mutex_lock(&store_lock);
	for (unsigned b = 0; b < NBUCKETS; b++)
		for (struct entry *e = buckets[b]; e; e = e->next, n++)
			if (hash(e->key) != b) {
				snprintf(out, size, "VERIFY bad bucket of %s", e->key);
				pthread_mutex_unlock(&store_lock);
				return;
			}
	unsigned long total = nentries;
	pthread_mutex_unlock(&store_lock);
	if (n != total) {
		snprintf(out, size, "VERIFY bad count %lu/%lu", n, total);
		return;
	}
	int nsess = 0, nnotes = 0;
	pthread_mutex_lock(&handles_lock);
	for (int h = 1; h < NHANDLES; h++) {
		if (handle_kind[h] == H_SESSION) {
			struct session *s = handles[h];
			if (strnlen(s->name, sizeof s->name) == sizeof s->name) {
				snprintf(out, size, "VERIFY bad session %d", h);
				pthread_mutex_unlock(&handles_lock);
				return;
			}
			nsess++;
		} else if (handle_kind[h] == H_NOTE) {
			struct note *t = handles[h];
			if (strlen(t->text) != t->len) {
				snprintf(out, size, "VERIFY bad note %d", h);
				pthread_mutex_unlock(&handles_lock);
				return;
			}
			nnotes++;
		}
	}
	pthread_mutex_unlock(&handles_lock);
	unsigned long done = 0;
	for (int i = 0; i < NWORKERS; i++)
		done += workers[i].done;
	snprintf(out, size, "VERIFY ok keys=%lu sessions=%d notes=%d done=%lu", n, nsess, nnotes, done);
}

static void handle_command(struct request *r, char *cmd, char *k, char *v)
{
	struct conn *c = r->conn;
	char out[300];
	if (!strcmp(cmd, "VERSION"))
		return reply(c, "VERSION jobq %d", REL);
	if (!strcmp(cmd, "VERIFY"))
		return verify(out, sizeof out), reply(c, "%s", out);
	if (!k)
		return reply(c, "ERROR no argument");
	if (!strcmp(cmd, "SET") || !strcmp(cmd, "GET") || !strcmp(cmd, "DEL")) {
		pthread_mutex_lock(&store_lock);
		struct entry **pp = find(k), *e = *pp;
		if (cmd[0] == 'S' && v) {
			if (!e) {
				e = calloc(1, sizeof *e);
				e->key = strdup(k);
				*pp = e;
				nentries++;
			}
			free(e->value);
			e->value = strdup(v);
			snprintf(out, sizeof out, "OK");
		} else if (cmd[0] == 'G') {
			snprintf(out, sizeof out, e ? "VALUE %s" : "NONE", e ? (char *)e->value : "");
		} else if (cmd[0] == 'D' && e) {
			*pp = e->next;
			free(e->value);
			free(e->key);
			free(e);
			nentries--;
			snprintf(out, sizeof out, "OK");
		} else {
			snprintf(out, sizeof out, cmd[0] == 'S' ? "ERROR no value" : "NONE");
		}
		pthread_mutex_unlock(&store_lock);
		return reply(c, "%s", out);
	}
	if (!strcmp(cmd, "OPEN") || !strcmp(cmd, "NOTE")) {
		void *obj;
		int kind, h;
		if (cmd[0] == 'O') {
			struct session *s = calloc(1, sizeof *s);
			snprintf(s->name, sizeof s->name, "%s", k);
			obj = s;
			kind = H_SESSION;
		} else {
			if (v)
				k[strlen(k)] = ' '; /* the whole text */
			size_t len = strlen(k);
			if (len + sizeof(struct note) + 1 > BLOCK_SIZE)
				return reply(c, "ERROR too long");
			struct note *t = block_get();
			t->len = len;
			memcpy(t->text, k, len + 1);
			obj = t;
			kind = H_NOTE;
		}
		pthread_mutex_lock(&handles_lock);
#if REL >= 2
		if (kind == H_SESSION)
			((struct session *)obj)->serial = ++sessions_made;
#else
		sessions_made += kind == H_SESSION;
#endif
		h = handle_new(obj, kind);
		pthread_mutex_unlock(&handles_lock);
		if (h < 0) {
			if (kind == H_SESSION)
				free(obj);
			else
				block_put(obj);
			return reply(c, "ERROR no handle");
		}
		return reply(c, "HANDLE %d", h);
	}
	int h = atoi(k);
	if (h <= 0 || h >= NHANDLES)
		return reply(c, "ERROR bad handle");
	pthread_mutex_lock(&handles_lock);
	if (!strcmp(cmd, "SHOW") && handle_kind[h] == H_SESSION) {
		struct session *s = handles[h];
		snprintf(out, sizeof out, "SESSION %s %lu", s->name, s->uses);
	} else if (!strcmp(cmd, "SHOW") && handle_kind[h] == H_NOTE) {
		struct note *t = handles[h];
		snprintf(out, sizeof out, "NOTE %s", t->text);
	} else if (!strcmp(cmd, "TOUCH") && handle_kind[h] == H_SESSION) {
		struct session *s = handles[h];
		snprintf(out, sizeof out, "TOUCHED %lu", ++s->uses);
#if REL >= 2
	} else if (!strcmp(cmd, "SERIAL") && handle_kind[h] == H_SESSION) {
		struct session *s = handles[h];
		snprintf(out, sizeof out, "SERIAL %lu", s->serial);
#endif
	} else {
		snprintf(out, sizeof out, "ERROR no such handle or command");
	}
	pthread_mutex_unlock(&handles_lock);
	reply(c, "%s", out);
}

/* A task's function: its argument is the request. */
static void run_request(void *arg)
{
	struct request *r = arg;
	char *save, *cmd = strtok_r(r->line, " ", &save);
	char *k = strtok_r(NULL, " ", &save), *v = strtok_r(NULL, "", &save);
	if (cmd)
		handle_command(r, cmd, k, v);
	else
		reply(r->conn, "ERROR empty");
	block_put(r);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	for (;;) {
		pthread_mutex_lock(&w->lock);
		while (w->head == w->tail)
			pthread_cond_wait(&w->ready, &w->lock); /* an update point */
		struct task t = w->tasks[w->head % QUEUE_SIZE];
		w->head++;
		pthread_mutex_unlock(&w->lock);
		t.fn(t.arg);
		__atomic_add_fetch(&w->done, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

/* Requests of one connection go to one worker, so their replies keep order. */
static void submit(struct conn *c, const char *line)
{
	struct request *r = block_get();
	if (!r)
		return reply(c, "ERROR out of memory");
	r->conn = c;
	snprintf(r->line, sizeof r->line, "%s", line);
	int wi = c->fd % NWORKERS;
	struct worker *w = &workers[wi];
#if REL >= 2
	r->worker = wi;
#endif
	pthread_mutex_lock(&w->lock);
	while (w->tail - w->head == QUEUE_SIZE) { /* full: let it drain */
		pthread_mutex_unlock(&w->lock);
		usleep(100);
		pthread_mutex_lock(&w->lock);
	}
	w->tasks[w->tail % QUEUE_SIZE] = (struct task){ run_request, r };
	w->tail++;
	pthread_cond_signal(&w->ready);
	pthread_mutex_unlock(&w->lock);
}

static int listen_fd = -1, epfd = -1;
static struct conn listener;

static int queued_for(struct conn *c)
{
	struct worker *w = &workers[c->fd % NWORKERS];
	pthread_mutex_lock(&w->lock);
	int n = 0;
	for (unsigned i = w->head; i != w->tail; i++)
		n += ((struct request *)w->tasks[i % QUEUE_SIZE].arg)->conn == c;
	pthread_mutex_unlock(&w->lock);
	return n;
}

static void conn_close(struct conn *c)
{
	/* tasks of this connection still queued must not find it freed */
	while (queued_for(c))
		usleep(100);
	epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	pthread_mutex_lock(&c->write_lock); /* a worker still writing */
	pthread_mutex_unlock(&c->write_lock);
	free(c);
}

static void readable(struct conn *c)
{
	ssize_t n = read(c->fd, c->in + c->len, sizeof c->in - 1 - c->len);
	if (n <= 0) {
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			return;
		return conn_close(c);
	}
	c->len += n;
	char *nl;
	while ((nl = memchr(c->in, '\n', c->len))) {
		*nl = 0;
		if (nl > c->in && nl[-1] == '\r')
			nl[-1] = 0;
		submit(c, c->in);
		size_t used = nl + 1 - c->in;
		memmove(c->in, nl + 1, c->len - used);
		c->len -= used;
	}
	if (c->len == sizeof c->in - 1)
		conn_close(c);
}

static void accept_one(void)
{
	int fd = accept(listen_fd, NULL, NULL);
	if (fd < 0)
		return;
	struct conn *c = calloc(1, sizeof *c);
	c->fd = fd;
	pthread_mutex_init(&c->write_lock, NULL);
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
	epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: jobq PORT-FILE\n");
		return 2;
	}
	if (!stf_is_updating()) {
		struct sockaddr_in sa = { .sin_family = AF_INET,
					  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		socklen_t sl = sizeof sa;
		listen_fd = socket(AF_INET, SOCK_STREAM, 0);
		epfd = epoll_create1(0);
		if (listen_fd < 0 || epfd < 0 || bind(listen_fd, (struct sockaddr *)&sa, sizeof sa) ||
		    listen(listen_fd, 64) || getsockname(listen_fd, (struct sockaddr *)&sa, &sl)) {
			perror("jobq");
			return 1;
		}
		listener.fd = listen_fd;
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = &listener };
		epoll_ctl(epfd, EPOLL_CTL_ADD, listen_fd, &ev);
		for (int i = 0; i < NWORKERS; i++) {
			pthread_mutex_init(&workers[i].lock, NULL);
			pthread_cond_init(&workers[i].ready, NULL);
			if (pthread_create(&workers[i].thread, NULL, worker_main, &workers[i])) {
				perror("pthread_create");
				return 1;
			}
		}
		FILE *f = fopen(argv[1], "w");
		if (!f || fprintf(f, "%d\n", ntohs(sa.sin_port)) < 0 || fclose(f)) {
			perror(argv[1]);
			return 1;
		}
	}
	for (;;) {
		struct epoll_event evs[32];
		stf_update_point();
		int n = epoll_wait(epfd, evs, 32, 200);
		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;
			if (c == &listener)
				accept_one();
			else
				readable(c);
		}
	}
}
