/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * heapd - a key-value server written as an event-loop server with its own
 * timers and its own slab, an idiom test server of ttst (t/idioms/heapd.sh)
 * combining what such servers do together:
 *   - the epoll loop's timeout comes from a binary min-heap of timers kept
 *     as an array of pointers (`struct timer **`, grown by realloc, its
 *     capacity past the length never set, and a popped slot keeping the
 *     pointer it held); the timers are embedded in the connections (an
 *     idle timer, re-armed by every request, reached back by container_of)
 *     and one is a static (the tick);
 *   - connections come from `new_conn()`, which picks the size itself
 *     (`xmalloc(sizeof(struct conn))`), xmalloc a size-prefixing wrapper
 *     (STF_ALLOCATOR); a closed connection goes on a free list with its
 *     stale descriptor, timer and input bytes, and is reused from there;
 *   - the store is a chained hash of entries carved by a slab of size
 *     classes (STF_ALLOCATOR, pages calloc'd, freed objects on per-class
 *     free lists through their first word), each entry's `void *` value of
 *     one of four types told apart by a tag: an integer kept in the
 *     pointer itself, a string, a list and a counter (slab objects too);
 *   - a background thread refreshes a snapshot of the store's size; its
 *     context is behind a `void *`, its pthread_t in a union there, and
 *     it checks that pthread_self() is still what the context says.
 * Release 2 grows the connection in front of its timer (the heap's
 * pointers point into the middle of connections), the entry in its middle
 * and the counter at its end.  The update point is at the top of the
 * loop, stf_update_fd() in the epoll set.
 *
 * Protocol: SET k v -> OK, GET k -> VALUE v | NONE, DEL k -> OK | NONE,
 * INCR k -> COUNT n, RPUSH k v -> LEN n, LRANGE k -> LIST v1,v2,...,
 * TYPE k -> TYPE int|str|list|count|none, TICKS -> TICKS n, SNAP -> SNAP
 * entries runs, VERSION, VERIFY; release 2: INCRS k -> INCRS n (INCRs
 * counted by release 2).
 * Usage: heapd PORT-FILE
 */
#define _GNU_SOURCE

#ifndef REL
#define REL 1
#endif

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include <stf.h>

#include "../port-listener.h"

#define INBUF 1024
#define TICK_MS 20
#define IDLE_MS (10 * 60 * 1000)
#define NBUCKETS 1024
#define SLAB_PAGE (32 * 1024)

#define container_of(p, type, member) ((type *)((char *)(p) - offsetof(type, member)))

/* ---- the size-prefixing wrapper ---- */

STF_ALLOCATOR void *xmalloc(size_t n);

struct xhdr {
	size_t size;
	size_t magic;
};
#define XMAGIC 0x68656170646d656dULL

void *xmalloc(size_t n)
{
	struct xhdr *h = malloc(sizeof *h + n);

	if (!h)
		abort();
	h->size = n;
	h->magic = XMAGIC;
	return h + 1;
}

static size_t xsize(void *p)
{
	struct xhdr *h = (struct xhdr *)p - 1;
	return h->magic == XMAGIC ? h->size : 0;
}

/* ---- the slab: size classes of 16 to 256 bytes ---- */

STF_ALLOCATOR void *slab_alloc(size_t n);

#define NCLASSES 16
struct slab_class {
	void *free;      /* freed objects, linked through their first word */
	char *page, *end; /* carving */
	size_t live;
};
static struct slab_class classes[NCLASSES];
static size_t slab_pages;

void *slab_alloc(size_t n)
{
	size_t k = (n + 15) / 16 - 1;
	struct slab_class *c;
	void *p;

	if (k >= NCLASSES)
		abort();
	c = &classes[k];
	c->live++;
	if ((p = c->free)) {
		c->free = *(void **)p; /* the rest of it keeps what it held */
		return p;
	}
	if (!c->page || c->page + (k + 1) * 16 > c->end) {
		c->page = calloc(1, SLAB_PAGE);
		if (!c->page)
			abort();
		c->end = c->page + SLAB_PAGE;
		slab_pages++;
	}
	p = c->page;
	c->page += (k + 1) * 16;
	return p;
}

static void slab_free(void *p, size_t n)
{
	struct slab_class *c = &classes[(n + 15) / 16 - 1];

	*(void **)p = c->free;
	c->free = p;
	c->live--;
}

/* ---- timers: a min-heap of pointers ---- */

struct timer {
	uint64_t when;
	size_t idx; /* in the heap while heap.v[idx] == this */
	void (*fire)(struct timer *);
};

static struct {
	struct timer **v;
	size_t len, cap;
} heap;

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void heap_set(size_t i, struct timer *t)
{
	heap.v[i] = t;
	t->idx = i;
}

static void sift_up(size_t i)
{
	struct timer *t = heap.v[i];

	while (i > 0 && heap.v[(i - 1) / 2]->when > t->when) {
		heap_set(i, heap.v[(i - 1) / 2]);
		i = (i - 1) / 2;
	}
	heap_set(i, t);
}

static void sift_down(size_t i)
{
	struct timer *t = heap.v[i];

	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= heap.len)
			break;
		if (c + 1 < heap.len && heap.v[c + 1]->when < heap.v[c]->when)
			c++;
		if (heap.v[c]->when >= t->when)
			break;
		heap_set(i, heap.v[c]);
		i = c;
	}
	heap_set(i, t);
}

static void timer_add(struct timer *t, uint64_t after)
{
	if (heap.len == heap.cap) {
		heap.cap = heap.cap ? heap.cap * 2 : 8;
		heap.v = realloc(heap.v, heap.cap * sizeof *heap.v); /* the new room unset */
		if (!heap.v)
			abort();
	}
	t->when = now_ms() + after;
	heap.v[heap.len] = t;
	t->idx = heap.len++;
	sift_up(t->idx);
}

/* Out of the heap; the last slot keeps its pointer (stale). */
static void timer_del(struct timer *t)
{
	size_t i = t->idx;
	struct timer *last = heap.v[--heap.len];

	if (i == heap.len)
		return;
	heap_set(i, last);
	if (i > 0 && heap.v[(i - 1) / 2]->when > last->when)
		sift_up(i);
	else
		sift_down(i);
}

static void timer_rearm(struct timer *t, uint64_t after)
{
	t->when = now_ms() + after;
	sift_down(t->idx);
	sift_up(t->idx);
}

/* ---- connections ---- */

struct conn {
	int fd;
	unsigned long requests;
#if REL >= 2
	uint64_t last_ms; /* new in 2, in front of the timer */
#endif
	struct timer idle;
	struct conn *next_free;
	size_t inlen;
	char in[INBUF]; /* past inlen: what earlier lines left */
};
#include "../line-conn.h"

static struct conn *free_conns; /* closed, kept for reuse */
static unsigned long conns_open, conns_made;
static int epfd = -1, listen_fd = -1;

static struct conn *new_conn(void)
{
	struct conn *c = free_conns;

	if (c) {
		free_conns = c->next_free;
		return c;
	}
	conns_made++;
	return xmalloc(sizeof(struct conn));
}

static void conn_close(struct conn *c)
{
	timer_del(&c->idle);
	epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	conns_open--;
	c->next_free = free_conns; /* fd, timer and bytes left as they were */
	free_conns = c;
}

static void conn_idle(struct timer *t)
{
	conn_close(container_of(t, struct conn, idle));
}

static unsigned long ticks;
static struct timer tick;

static void on_tick(struct timer *t)
{
	ticks++;
	timer_add(t, TICK_MS);
}

/* ---- the store ---- */

enum tag { T_INT, T_STR, T_LIST, T_COUNT };
static const char *const tag_names[] = { "int", "str", "list", "count" };

struct str {
	uint32_t len;
	char data[];
};

struct lnode {
	struct lnode *next;
	struct str *s;
};

struct list {
	struct lnode *head, *tail;
	size_t len;
};

struct counter {
	long n;
#if REL >= 2
	long incrs; /* new in 2: INCRs since release 2 */
#endif
};

struct entry {
	struct entry *next;
	uint8_t tag;
#if REL >= 2
	uint64_t sets; /* new in 2: SETs since release 2 */
#endif
	void *val;
	char key[];
};

static struct entry *buckets[NBUCKETS];
static size_t entries;
static pthread_mutex_t store_lock = PTHREAD_MUTEX_INITIALIZER;

static size_t bucket_of(const char *key)
{
	uint32_t h = 2166136261u;

	while (*key)
		h = (h ^ (unsigned char)*key++) * 16777619u;
	return h % NBUCKETS;
}

static struct entry **find(const char *key)
{
	struct entry **e = &buckets[bucket_of(key)];

	while (*e && strcmp((*e)->key, key))
		e = &(*e)->next;
	return e;
}

static struct str *str_new(const char *text)
{
	size_t len = strlen(text);
	struct str *s = slab_alloc(sizeof *s + len + 1);

	s->len = (uint32_t)len;
	memcpy(s->data, text, len + 1);
	return s;
}

static void str_free(struct str *s)
{
	slab_free(s, sizeof *s + s->len + 1);
}

static void val_free(struct entry *e)
{
	switch ((enum tag)e->tag) {
	case T_INT:
		break;
	case T_STR:
		str_free(e->val);
		break;
	case T_LIST: {
		struct list *l = e->val;
		for (struct lnode *n = l->head, *next; n; n = next) {
			next = n->next;
			str_free(n->s);
			slab_free(n, sizeof *n);
		}
		slab_free(l, sizeof *l);
		break;
	}
	case T_COUNT:
		slab_free(e->val, sizeof(struct counter));
		break;
	}
}

/* Small decimal numbers are kept in the pointer itself. */
static int small_number(const char *s, long *n)
{
	char *end;

	if (!*s || (*s == '0' && s[1]) || strlen(s) > 12)
		return 0;
	errno = 0;
	*n = strtol(s, &end, 10);
	return !*end && !errno && *n >= 0;
}

/* The entry of key, made (tag T_INT, 0) when absent. */
static struct entry *get_or_add(const char *key)
{
	struct entry **slot = find(key), *e = *slot;
	size_t klen = strlen(key);

	if (e)
		return e;
	e = slab_alloc(sizeof *e + klen + 1);
	e->next = NULL;
	e->tag = T_INT;
	e->val = NULL;
#if REL >= 2
	e->sets = 0;
#endif
	memcpy(e->key, key, klen + 1);
	*slot = e;
	entries++;
	return e;
}

static void entry_del(struct entry **slot)
{
	struct entry *e = *slot;

	*slot = e->next;
	val_free(e);
	slab_free(e, sizeof *e + strlen(e->key) + 1);
	entries--;
}

static void value_text(struct conn *c, struct entry *e)
{
	switch ((enum tag)e->tag) {
	case T_INT:
		reply(c, "VALUE %ld\n", (long)(intptr_t)e->val);
		break;
	case T_STR:
		reply(c, "VALUE %s\n", ((struct str *)e->val)->data);
		break;
	case T_LIST:
		reply(c, "VALUE (list of %zu)\n", ((struct list *)e->val)->len);
		break;
	case T_COUNT:
		reply(c, "VALUE %ld\n", ((struct counter *)e->val)->n);
		break;
	}
}

/* ---- the background thread ---- */

struct bgctx {
	union {
		pthread_t tid;
		unsigned long word;
	} th;
	unsigned long runs, wrong_self;
	size_t entries_seen;
};
static void *bg; /* a struct bgctx */

static void *bg_main(void *arg)
{
	struct bgctx *ctx = arg;

	for (;;) {
		stf_update_point();
		pthread_mutex_lock(&store_lock); /* main set th.tid under it */
		if (!pthread_equal(pthread_self(), ctx->th.tid))
			ctx->wrong_self++;
		ctx->entries_seen = entries;
		ctx->runs++;
		pthread_mutex_unlock(&store_lock);
		usleep(20000);
	}
	return NULL;
}

/* ---- commands ---- */

static void verify(struct conn *c)
{
	struct bgctx *ctx = bg;
	size_t n = 0, ints = 0, live = 0, conns = 0;

	for (size_t i = 0; i < heap.len; i++) {
		struct timer *t = heap.v[i];
		if (t->idx != i || (i > 0 && heap.v[(i - 1) / 2]->when > t->when) ||
		    (t != &tick && (t->fire != conn_idle ||
				    xsize(container_of(t, struct conn, idle)) != sizeof(struct conn)))) {
			reply(c, "VERIFY bad timer %zu of %zu\n", i, heap.len);
			return;
		}
		conns += t != &tick;
	}
	if (tick.fire != on_tick || heap.v[tick.idx] != &tick || conns != conns_open) {
		reply(c, "VERIFY bad heap: tick %d, %zu timers of %lu connections\n",
		      heap.v[tick.idx] == &tick, conns, conns_open);
		return;
	}
	for (struct conn *f = free_conns; f; f = f->next_free)
		if (xsize(f) != sizeof(struct conn)) {
			reply(c, "VERIFY bad free connection\n");
			return;
		}
	for (size_t b = 0; b < NBUCKETS; b++)
		for (struct entry *e = buckets[b]; e; e = e->next) {
			if (bucket_of(e->key) != b || e->tag > T_COUNT ||
			    (e->tag == T_STR && strlen(((struct str *)e->val)->data) != ((struct str *)e->val)->len)) {
				reply(c, "VERIFY bad entry %s\n", e->key);
				return;
			}
			if (e->tag == T_LIST) {
				struct list *l = e->val;
				size_t k = 0;
				for (struct lnode *x = l->head; x; x = x->next)
					k++;
				if (k != l->len || (k && l->tail->next)) {
					reply(c, "VERIFY bad list %s\n", e->key);
					return;
				}
			}
			ints += e->tag == T_INT;
			n++;
		}
	for (size_t k = 0; k < NCLASSES; k++)
		live += classes[k].live;
	if (n != entries || pthread_kill(ctx->th.tid, 0) || ctx->wrong_self) {
		reply(c, "VERIFY bad store %zu/%zu, thread %lu wrong %lu\n", n, entries,
		      ctx->th.word, ctx->wrong_self);
		return;
	}
	reply(c, "VERIFY ok entries=%zu ints=%zu slab_objects=%zu pages=%zu conns=%lu made=%lu timers=%zu/%zu\n",
	      n, ints, live, slab_pages, conns_open, conns_made, heap.len, heap.cap);
}

static void command(struct conn *c, char *line)
{
	char *av[4] = { 0 }, *p = line;
	struct entry **slot, *e;
	int ac = 0;
	long num;

	c->requests++;
#if REL >= 2
	c->last_ms = now_ms();
#endif
	timer_rearm(&c->idle, IDLE_MS);
	while (ac < 4 && (av[ac] = strsep(&p, " ")))
		if (*av[ac])
			ac++;
	if (ac == 1 && !strcmp(av[0], "VERSION")) {
		reply(c, "VERSION heapd %d\n", REL);
		return;
	}
	if (ac == 1 && !strcmp(av[0], "TICKS")) {
		reply(c, "TICKS %lu\n", ticks);
		return;
	}
	pthread_mutex_lock(&store_lock);
	if (ac == 1 && !strcmp(av[0], "VERIFY")) {
		verify(c);
	} else if (ac == 1 && !strcmp(av[0], "SNAP")) {
		struct bgctx *ctx = bg;
		reply(c, "SNAP %zu %lu\n", ctx->entries_seen, ctx->runs);
	} else if (ac == 3 && !strcmp(av[0], "SET")) {
		e = get_or_add(av[1]);
		val_free(e);
		if (small_number(av[2], &num)) {
			e->tag = T_INT;
			e->val = (void *)(intptr_t)num;
		} else {
			e->tag = T_STR;
			e->val = str_new(av[2]);
		}
#if REL >= 2
		e->sets++;
#endif
		reply(c, "OK\n");
	} else if (ac == 2 && !strcmp(av[0], "GET")) {
		e = *find(av[1]);
		if (e)
			value_text(c, e);
		else
			reply(c, "NONE\n");
	} else if (ac == 2 && !strcmp(av[0], "TYPE")) {
		e = *find(av[1]);
		reply(c, "TYPE %s\n", e ? tag_names[e->tag] : "none");
	} else if (ac == 2 && !strcmp(av[0], "DEL")) {
		slot = find(av[1]);
		if (*slot) {
			entry_del(slot);
			reply(c, "OK\n");
		} else {
			reply(c, "NONE\n");
		}
	} else if (ac == 2 && !strcmp(av[0], "INCR")) {
		e = get_or_add(av[1]);
		if (e->tag != T_COUNT) {
			struct counter *k = slab_alloc(sizeof *k);
			k->n = e->tag == T_INT ? (long)(intptr_t)e->val : 0;
#if REL >= 2
			k->incrs = 0;
#endif
			val_free(e);
			e->tag = T_COUNT;
			e->val = k;
		}
		struct counter *k = e->val;
		k->n++;
#if REL >= 2
		k->incrs++;
#endif
		reply(c, "COUNT %ld\n", k->n);
#if REL >= 2
	} else if (ac == 2 && !strcmp(av[0], "INCRS")) {
		e = *find(av[1]);
		if (e && e->tag == T_COUNT)
			reply(c, "INCRS %ld\n", ((struct counter *)e->val)->incrs);
		else
			reply(c, "NONE\n");
#endif
	} else if (ac == 3 && !strcmp(av[0], "RPUSH")) {
		e = get_or_add(av[1]);
		if (e->tag != T_LIST) {
			struct list *l = slab_alloc(sizeof *l);
			l->head = l->tail = NULL;
			l->len = 0;
			val_free(e);
			e->tag = T_LIST;
			e->val = l;
		}
		struct list *l = e->val;
		struct lnode *n = slab_alloc(sizeof *n);
		n->next = NULL;
		n->s = str_new(av[2]);
		if (l->tail)
			l->tail->next = n;
		else
			l->head = n;
		l->tail = n;
		reply(c, "LEN %zu\n", ++l->len);
	} else if (ac == 2 && !strcmp(av[0], "LRANGE")) {
		e = *find(av[1]);
		if (!e || e->tag != T_LIST) {
			reply(c, "NONE\n");
		} else {
			char out[2048];
			size_t o = 0;
			for (struct lnode *n = ((struct list *)e->val)->head; n && o < sizeof out - 300; n = n->next)
				o += (size_t)snprintf(out + o, sizeof out - o, "%s%s", o ? "," : "", n->s->data);
			out[o] = 0;
			reply(c, "LIST %s\n", out);
		}
	} else {
		reply(c, "ERROR unknown\n");
	}
	pthread_mutex_unlock(&store_lock);
}

static void conn_open(void)
{
	int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK);
	struct epoll_event ev = { .events = EPOLLIN };
	struct conn *c;

	if (fd < 0)
		return;
	c = new_conn();
	c->fd = fd;
	c->requests = 0;
#if REL >= 2
	c->last_ms = now_ms();
#endif
	c->inlen = 0; /* in[] keeps what the last user left */
	c->idle.fire = conn_idle;
	timer_add(&c->idle, IDLE_MS);
	conns_open++;
	ev.data.ptr = c;
	epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

/* Fires the timers due; the wait until the next, in ms. */
static int run_timers(void)
{
	uint64_t now = now_ms();

	while (heap.len && heap.v[0]->when <= now) {
		struct timer *t = heap.v[0];
		timer_del(t);
		t->fire(t);
	}
	return heap.len ? (int)(heap.v[0]->when - now) : -1;
}

int main(int argc, char **argv)
{
	struct epoll_event ev = { .events = EPOLLIN }, evs[32];

	if (argc != 2) {
		fprintf(stderr, "usage: heapd PORT-FILE\n");
		return 2;
	}
	if (!stf_is_updating()) {
		struct bgctx *ctx = calloc(1, sizeof *ctx);
		listen_fd = listen_loopback("heapd", SOCK_STREAM | SOCK_NONBLOCK, argv[1]);
		epfd = epoll_create1(0);
		ev.data.ptr = &listen_fd;
		epoll_ctl(epfd, EPOLL_CTL_ADD, listen_fd, &ev);
		ev.data.ptr = &epfd;
		epoll_ctl(epfd, EPOLL_CTL_ADD, stf_update_fd(), &ev);
		tick.fire = on_tick;
		timer_add(&tick, TICK_MS);
		pthread_mutex_lock(&store_lock);
		if (!ctx || pthread_create(&ctx->th.tid, NULL, bg_main, ctx)) {
			perror("heapd: thread");
			return 1;
		}
		bg = ctx;
		pthread_mutex_unlock(&store_lock);
	}
	for (;;) {
		stf_update_point();
		int n = epoll_wait(epfd, evs, 32, run_timers());
		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;
			if (evs[i].data.ptr == &listen_fd)
				conn_open();
			else if (evs[i].data.ptr != &epfd && /* stf_update_fd(): the loop's top takes it */
				 read_lines(c, c->in, &c->inlen, INBUF, command) < 0)
				conn_close(c);
		}
	}
}
