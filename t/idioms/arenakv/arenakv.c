/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * arenakv - a key-value server on epoll whose memory comes from pools, as
 * a programmer who does not trust malloc writes one (wave 23's hunt,
 * issue 8):
 *   - fixed-size pools (`struct fpool`: chunks of 32 objects from malloc,
 *     carved in order, a free list threaded through the dead objects'
 *     first word) for the entries, the connections and the counters;
 *     fpool_get is declared STF_ALLOCATOR, fpool_put is its partner;
 *   - the texts in a bump arena (`struct arena`: chunks from malloc, a
 *     cursor); dead texts stay in it until they are more than the live
 *     ones, then every live text is copied to a fresh arena and the old
 *     one is reset (its first chunk kept, the others freed) and kept
 *     as the spare the next compaction copies into;
 *   - a scratch arena per connection, reset after every request line,
 *     holding the line's words and a `struct req` while it is served;
 *   - a log of the last 100 keys set: records (`struct logrec`) and their
 *     keys carved in turn from one arena, reset when the log is full, so
 *     records land where keys were before and keys where records were;
 *   - entries remember the connection that last wrote them
 *     (`struct conn *writer`), left pointing into the connection pool
 *     at a dead connection, maybe reused by the next one; the store
 *     remembers the last entry deleted (`last_dead`), a dead entry whose
 *     first word is now the free list's link.
 * Release 2 grows the entry in its middle (a hit count), the connection
 * (a request count) and the counter, so all three pools' objects change,
 * and the request and the log record, carved from arenas.
 *
 * Protocol: SET k v -> OK, GET k -> VALUE v | NONE, DEL k -> OK | NONE,
 * INCR k -> COUNT n, TYPE k -> TYPE text|count|none, POOLS -> POOLS
 * entries conns counters compactions, RECENT -> RECENT n last-key-set,
 * VERSION, VERIFY.
 * Usage: arenakv PORT-FILE
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
#pragma GCC optimize("O0") /* the build run by arenakv-O0.sh */
#endif

#include "../port-listener.h"

#ifndef REL
#define REL 1
#endif

#define INBUF 512
#define NBUCKETS 1024
#define CHUNK_OBJS 32
#define ARENA_CHUNK 4096

/* ---- fixed-size pools ---- */

struct fchunk {
	struct fchunk *next;
	size_t carved;
	_Alignas(16) unsigned char objs[];
};

struct fpool {
	size_t size; /* of one object, a multiple of 16 */
	struct fchunk *chunks;
	void *free; /* dead objects, linked by their first word */
	size_t live;
};

STF_ALLOCATOR void *fpool_get(struct fpool *p);
void fpool_put(struct fpool *p, void *obj);

void *fpool_get(struct fpool *p)
{
	void *obj = p->free;

	if (obj) {
		p->free = *(void **)obj;
	} else {
		if (!p->chunks || p->chunks->carved == CHUNK_OBJS) {
			struct fchunk *c = malloc(sizeof *c + CHUNK_OBJS * p->size);
			if (!c)
				abort();
			c->next = p->chunks;
			c->carved = 0;
			p->chunks = c;
		}
		obj = p->chunks->objs + p->chunks->carved++ * p->size;
	}
	p->live++;
	memset(obj, 0, p->size);
	return obj;
}

void fpool_put(struct fpool *p, void *obj)
{
	*(void **)obj = p->free;
	p->free = obj;
	p->live--;
}

/* ---- bump arenas ---- */

struct achunk {
	struct achunk *next;
	size_t cap;
	_Alignas(16) char mem[];
};

struct arena {
	struct achunk *head;
	char *cur, *end;
	size_t used; /* bytes handed out since the last reset */
};

STF_ALLOCATOR void *arena_alloc(struct arena *a, size_t n);
STF_ALLOCATOR char *arena_strdup(struct arena *a, const char *s);

static void *arena_take(struct arena *a, size_t n)
{
	char *p;

	n = (n + 7) & ~(size_t)7;
	if (!a->head || (size_t)(a->end - a->cur) < n) {
		size_t cap = n > ARENA_CHUNK ? n : ARENA_CHUNK;
		struct achunk *c = malloc(sizeof *c + cap);
		if (!c)
			abort();
		c->next = a->head;
		c->cap = cap;
		a->head = c;
		a->cur = c->mem;
		a->end = c->mem + cap;
	}
	p = a->cur;
	a->cur += n;
	a->used += n;
	return p;
}

void *arena_alloc(struct arena *a, size_t n)
{
	return arena_take(a, n);
}

char *arena_strdup(struct arena *a, const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(arena_take(a, n), s, n);
}

/* Everything handed out is dead: the first chunk is kept for reuse. */
static void arena_reset(struct arena *a)
{
	struct achunk *c, *next;

	if (!a->head)
		return;
	while ((c = a->head)->next) {
		next = c->next;
		free(c);
		a->head = next;
	}
	a->cur = a->head->mem;
	a->end = a->head->mem + a->head->cap;
	a->used = 0;
}

/* ---- the store ---- */

enum kind { K_TEXT = 1, K_COUNT = 2 };

struct counter {
	long value;
#if REL >= 2
	long incrs; /* new in 2 */
#endif
	long step;
};

struct conn;

struct entry {
	struct entry *next; /* in its bucket; the free list's link when dead */
	char *key;          /* in the text arena */
	enum kind kind;
#if REL >= 2
	unsigned long hits;   /* new in 2, in the middle */
	unsigned long sets;   /* so the entry outgrows its 48-byte slot */
#endif
	union {
		char *text;     /* in the text arena */
		struct counter *count;
	} v;
	struct conn *writer; /* may be a dead connection */
};

/* A request line's words, in its connection's scratch arena. */
struct req {
	int ac;
#if REL >= 2
	int line; /* new in 2: its number on the connection */
#endif
	char *av[3];
};

/* The log of the last LOG_MAX keys set, newest first, in log_arena:
 * records and their keys interleaved, the arena reset when it is full. */
struct logrec {
	struct logrec *prev;
	char *key;
#if REL >= 2
	int fd; /* new in 2: of the connection that set it */
#endif
	unsigned long seq;
};

#define LOG_MAX 100

struct conn {
	int fd;
#if REL >= 2
	unsigned long requests; /* new in 2 */
#endif
	struct arena scratch; /* the current line's words */
	size_t inlen;
	char in[INBUF];
};

static struct entry *buckets[NBUCKETS];
static struct fpool entry_pool = { .size = (sizeof(struct entry) + 15) & ~(size_t)15 };
static struct fpool conn_pool = { .size = (sizeof(struct conn) + 15) & ~(size_t)15 };
static struct fpool counter_pool = { .size = (sizeof(struct counter) + 15) & ~(size_t)15 };
static struct arena texts, spare;
static size_t live_text; /* bytes of live keys and texts in texts */
static unsigned long compactions;
static struct entry *last_dead;
static struct arena log_arena;
static struct logrec *log_head;
static unsigned log_len;
static unsigned long log_seq;

#include "../line-conn.h"
#include "../epoll-lines.h"

static size_t hash(const char *s)
{
	size_t h = 5381;

	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h % NBUCKETS;
}

static struct entry **find(const char *key)
{
	struct entry **e = &buckets[hash(key)];

	while (*e && strcmp((*e)->key, key))
		e = &(*e)->next;
	return e;
}

static size_t text_size(const char *s)
{
	return (strlen(s) + 1 + 7) & ~(size_t)7;
}

/* Copies every live key and text to the spare arena, which becomes the
 * text arena; the old one, reset, is the next spare. */
static void compact(void)
{
	struct arena old;

	for (size_t b = 0; b < NBUCKETS; b++)
		for (struct entry *e = buckets[b]; e; e = e->next) {
			e->key = arena_strdup(&spare, e->key);
			if (e->kind == K_TEXT)
				e->v.text = arena_strdup(&spare, e->v.text);
		}
	old = texts;
	texts = spare;
	spare = old;
	arena_reset(&spare);
	compactions++;
}

/* After texts died: compacts when the dead ones are most of the arena. */
static void maybe_compact(void)
{
	if (texts.used > 4 * ARENA_CHUNK && texts.used > 2 * live_text)
		compact();
}

static void entry_clear(struct entry *e)
{
	if (e->kind == K_TEXT)
		live_text -= text_size(e->v.text);
	else
		fpool_put(&counter_pool, e->v.count);
}

static void log_set(struct conn *c, const char *key)
{
	struct logrec *r;
	char *k;

	if (log_len == LOG_MAX) {
		arena_reset(&log_arena);
		log_head = NULL;
		log_len = 0;
	}
	k = arena_strdup(&log_arena, key);
	r = arena_alloc(&log_arena, sizeof *r);
	r->prev = log_head;
	r->key = k;
	r->seq = ++log_seq;
#if REL >= 2
	r->fd = c->fd;
#else
	(void)c;
#endif
	log_head = r;
	log_len++;
}

static int log_bad(void)
{
	unsigned n = 0;

	for (struct logrec *r = log_head; r; r = r->prev, n++) {
		if (!*r->key || strlen(r->key) > 64 || r->seq != log_seq - n)
			return 1;
		for (const char *k = r->key; *k; k++)
			if (*k <= ' ' || *k > '~')
				return 1; /* not a key a client sent */
	}
	return n != log_len;
}

static void verify(struct conn *c)
{
	size_t n = 0, counts = 0, text = 0, carved = 0, dead = 0;
	int found_last = 0;

	for (size_t b = 0; b < NBUCKETS; b++)
		for (struct entry *e = buckets[b]; e; e = e->next) {
			n++;
			text += text_size(e->key);
			if (hash(e->key) != b || *find(e->key) != e) {
				reply(c, "VERIFY %s is not in its bucket\n", e->key);
				return;
			}
			if (e->kind == K_TEXT) {
				text += text_size(e->v.text);
			} else if (e->kind == K_COUNT) {
				counts++;
				if (e->v.count->step != 1) {
					reply(c, "VERIFY bad counter %s\n", e->key);
					return;
				}
#if REL >= 2
				if (e->v.count->incrs > e->v.count->value) {
					reply(c, "VERIFY counter %s: %ld incrs > %ld\n", e->key,
					      e->v.count->incrs, e->v.count->value);
					return;
				}
#endif
			} else {
				reply(c, "VERIFY bad kind of %s\n", e->key);
				return;
			}
		}
	if (n != entry_pool.live || counts != counter_pool.live || text != live_text) {
		reply(c, "VERIFY bad counts: %zu entries, pool %zu; %zu counters, pool %zu; text %zu, %zu\n",
		      n, entry_pool.live, counts, counter_pool.live, text, live_text);
		return;
	}
	for (struct fchunk *ch = entry_pool.chunks; ch; ch = ch->next)
		carved += ch->carved;
	for (void *d = entry_pool.free; d; d = *(void **)d) {
		dead++;
		found_last |= d == last_dead;
	}
	if (dead + n != carved) {
		reply(c, "VERIFY entry pool: %zu dead + %zu live != %zu carved\n", dead, n, carved);
		return;
	}
	/* the last entry deleted is dead still, or live again */
	if (last_dead && !found_last && *find(last_dead->key) != last_dead) {
		reply(c, "VERIFY the last entry deleted is lost\n");
		return;
	}
	if (log_bad()) {
		reply(c, "VERIFY the log of sets is broken\n");
		return;
	}
	reply(c, "VERIFY ok keys=%zu counters=%zu conns=%zu compactions=%lu\n", n, counts,
	      conn_pool.live, compactions);
}

static void command(struct conn *c, char *line)
{
	struct req *rq = arena_alloc(&c->scratch, sizeof *rq);
	char **av = rq->av, *p;
	struct entry **ep, *e;
	int ac = 0;

#if REL >= 2
	rq->line = (int)++c->requests;
#endif
	memset(av, 0, sizeof rq->av);
	line = arena_strdup(&c->scratch, line);
	while (ac < 3 && (p = strsep(&line, " ")))
		if (*p)
			av[ac++] = arena_strdup(&c->scratch, p);
	rq->ac = ac;
	ep = ac >= 2 ? find(av[1]) : NULL;
	e = ep ? *ep : NULL;
	if (ac == 1 && !strcmp(av[0], "VERSION")) {
		reply(c, "VERSION arenakv %d\n", REL);
	} else if (ac == 1 && !strcmp(av[0], "VERIFY")) {
		verify(c);
	} else if (ac == 1 && !strcmp(av[0], "POOLS")) {
		reply(c, "POOLS %zu %zu %zu %lu\n", entry_pool.live, conn_pool.live, counter_pool.live,
		      compactions);
	} else if (ac == 1 && !strcmp(av[0], "RECENT")) {
		reply(c, "RECENT %u %s\n", log_len, log_head ? log_head->key : "-");
	} else if (ac == 3 && !strcmp(av[0], "SET")) {
		if (!e) {
			e = fpool_get(&entry_pool);
			e->key = arena_strdup(&texts, av[1]);
			live_text += text_size(e->key);
			e->next = NULL;
			*ep = e;
		} else {
			entry_clear(e);
		}
		e->kind = K_TEXT;
		e->v.text = arena_strdup(&texts, av[2]);
		live_text += text_size(e->v.text);
		e->writer = c;
#if REL >= 2
		e->sets++;
#endif
		log_set(c, av[1]);
		reply(c, "OK\n");
		maybe_compact();
	} else if (ac == 2 && !strcmp(av[0], "GET")) {
#if REL >= 2
		if (e)
			e->hits++;
#endif
		if (e && e->kind == K_TEXT)
			reply(c, "VALUE %s\n", e->v.text);
		else if (e)
			reply(c, "VALUE %ld\n", e->v.count->value);
		else
			reply(c, "NONE\n");
	} else if (ac == 2 && !strcmp(av[0], "DEL")) {
		if (e) {
			*ep = e->next;
			entry_clear(e);
			live_text -= text_size(e->key);
			fpool_put(&entry_pool, e);
			last_dead = e;
			maybe_compact();
		}
		reply(c, e ? "OK\n" : "NONE\n");
	} else if (ac == 2 && !strcmp(av[0], "INCR")) {
		if (!e || e->kind != K_COUNT) {
			if (!e) {
				e = fpool_get(&entry_pool);
				e->key = arena_strdup(&texts, av[1]);
				live_text += text_size(e->key);
				*ep = e;
			} else {
				entry_clear(e);
			}
			e->kind = K_COUNT;
			e->v.count = fpool_get(&counter_pool);
			e->v.count->step = 1;
		}
		e->v.count->value += e->v.count->step;
#if REL >= 2
		e->v.count->incrs++;
#endif
		e->writer = c;
		reply(c, "COUNT %ld\n", e->v.count->value);
	} else if (ac == 2 && !strcmp(av[0], "TYPE")) {
		reply(c, "TYPE %s\n", !e ? "none" : e->kind == K_TEXT ? "text" : "count");
	} else {
		reply(c, "ERROR unknown\n");
	}
	arena_reset(&c->scratch);
}

static void conn_close(struct conn *c)
{
	epoll_lines_forget(c);
	arena_reset(&c->scratch);
	free(c->scratch.head);
	fpool_put(&conn_pool, c); /* entries' writer members keep the pointer */
}

static struct conn *conn_new(int fd)
{
	struct conn *c = fpool_get(&conn_pool);

	c->fd = fd;
	return c;
}

int main(int argc, char **argv)
{
	static int listener;

	if (argc != 2) {
		fprintf(stderr, "usage: arenakv PORT-FILE\n");
		return 2;
	}
	if (!stf_is_updating()) {
		listener = listen_loopback("arenakv", SOCK_STREAM | SOCK_NONBLOCK, argv[1]);
		epoll_lines_start(&listener);
	}
	return epoll_lines_run(&listener);
}
