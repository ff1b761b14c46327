/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * xfer-bench-prog N [big|real|mixed|redis|slab|events]: the state whose transfer bench/run-xfer
 * measures.  N heap objects in three shapes: a linked list, a binary
 * search tree and a chained hash table whose entries point into
 * themselves (interior pointers); with "big", N 4 KiB buffers held by a
 * pointer array instead (bandwidth rather than per-object costs); with
 * "real", a heap shaped like a real data-structure server's: a chained
 * dictionary whose entries hold `void *` keys and values, keys being
 * strings behind a size header (the pointer is to the characters, inside
 * the string's block), values objects of three struct types (users with
 * a name string and a pointer to another user, sessions on a doubly
 * linked list pointing to their user, counters with a label); with
 * "mixed", the real-shaped heap with untyped memory and big objects in
 * it: every 8th entry also holds a block of an allocation site with no
 * type (a record copied in as bytes, an entry's address among them: its
 * words are classified, untyped.c), every 512th a 64 KiB buffer; with
 * "redis", Redis's own shape: dict entries whose `void *` key is a string
 * of an untyped allocation (sds: a header, then the characters the
 * pointer points to, at an odd address) and whose value, in a union with
 * a number, is an object whose `void *` member points to a string in its
 * own block (an embedded string, robj), an sds (a hash field's value), or
 * the score inside a sorted set's skiplist node (levels in a flexible
 * array); a set's bucket array holding its odd keys themselves or
 * entries tagged by their low bits; the code reading the value as an
 * object (a member-use record), and 10,000 shared objects every startup
 * makes (Redis's shared integers, replaced by the old version's and
 * swept after the transfer); the keys, entries and values made in orders
 * of their own and linked by a hash, as a real server's traffic leaves
 * them (build_redis); with
 * "slab", memcached-shaped untyped memory: N MiB of slab pages (1 MiB
 * blocks from a site with no type), each cut into items of one size
 * class (96 B to 1.5 KiB): a header of pointers (an LRU list across all
 * pages, a hash chain, the owning client: a typed object) and numbers,
 * then the key and the value as raw bytes (text, or random words); a
 * typed hash table points to the items; with "events", a libevent-style
 * server's (build_events).  At
 * startup it times a plain memcpy of as many bytes as the
 * objects hold (best of 5) and prints it, then loops at an update point.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <stf.h>

/* Built with -DXFER_BENCH_NEW_TYPES: the next release of these types, as
 * make eval's update-time runs need (every object type-transformed: a
 * member added, one widened, members reordered). */
#ifndef XFER_BENCH_NEW_TYPES
struct node {
	struct node *next;
	long value;
	int key;
};

struct tree {
	struct tree *left, *right;
	long key;
};

struct entry {
	struct entry *chain;
	char *key;      /* points into keybuf: interior pointer */
	long value;
	char keybuf[16];
};
#else
struct node {
	long key;
	struct node *next;
	long value;
	long added;
};

struct tree {
	long key;
	struct tree *right, *left;
	unsigned hits;
};

struct entry {
	char keybuf[16];
	long value;
	char *key;
	struct entry *chain;
	int added;
};
#endif

/* the real-shaped heap: a string behind its size header, as sds */
struct sstr {
	unsigned len, cap;
	char buf[];
};

struct dict_entry {
	void *key;               /* a struct sstr's buf */
	void *val;               /* a user, session or counter */
	struct dict_entry *next;
};

#ifndef XFER_BENCH_NEW_TYPES
struct user {
	char *name;              /* a struct sstr's buf */
	long id;
	struct user *friend;
	double score;
};

struct session {
	struct session *prev, *next;
	struct user *owner;
	long expires;
	char token[16];
};
#else
struct user {
	long id;
	char *name;
	double score;
	struct user *friend;
	long last_seen;
};

struct session {
	struct session *next, *prev;
	struct user *owner;
	long long expires;
	unsigned flags;
	char token[16];
};
#endif

struct counter {
	long hits, misses;
	char *label;             /* a struct sstr's buf */
};

static struct dict_entry **dict;
static size_t dict_size;
static struct session *sessions;

static struct node *list;
static struct tree *root;
static struct entry **buckets;
static size_t nbuckets;
static size_t nobjects, nbytes;
static char **buffers;

static __attribute__((noinline)) void build_big(size_t n)
{
	buffers = malloc(n * sizeof(*buffers));
	nobjects++;
	nbytes += n * sizeof(*buffers);
	for (size_t i = 0; i < n; i++) {
		buffers[i] = malloc(4096);
		memset(buffers[i], (int)(i & 0xff), 4096);
		nobjects++;
		nbytes += 4096;
	}
}

static char *new_sstr(const char *text)
{
	size_t len = strlen(text);
	struct sstr *s = malloc(sizeof(*s) + len + 1);
	s->len = s->cap = (unsigned)len;
	memcpy(s->buf, text, len + 1);
	nobjects++;
	nbytes += sizeof(*s) + len + 1;
	return s->buf;
}

/* mixed: what the real-shaped heap's entries hang on to besides */
struct attachment {
	void *blob;              /* untyped: raw bytes, an address among them */
	char *big;               /* a 64 KiB buffer, or NULL */
	struct attachment *next;
};

static struct attachment *attachments;

/* a record copied in as bytes: the site has no type */
static __attribute__((noinline)) void *new_blob(const void *owner, size_t i)
{
	size_t size = 48 + (i % 5) * 40;
	void *blob = malloc(size);
	memset(blob, (int)(i & 0x7f), size);
	memcpy((char *)blob + 8, &owner, sizeof(owner));
	nobjects++;
	nbytes += size;
	return blob;
}

static __attribute__((noinline)) void attach(const void *owner, size_t i)
{
	struct attachment *a = malloc(sizeof(*a));
	a->blob = new_blob(owner, i);
	a->big = NULL;
	if (i % 512 == 0) {
		a->big = malloc(65536);
		memset(a->big, (int)(i & 0xff), 65536);
		nobjects++;
		nbytes += 65536;
	}
	a->next = attachments;
	attachments = a;
	nobjects++;
	nbytes += sizeof(*a);
}

/* redis: sds strings, robj values, shared objects */
struct robj {
	unsigned type : 4, encoding : 4, lru : 24;
	int refcount;
	void *ptr;               /* an sds */
};

struct redis_entry {
	void *key;               /* an sds */
	union {
		void *val;       /* a struct robj, an sds, a zset node's score */
		long s64;
	} v;
	struct redis_entry *next;
};

/* a sorted set's skiplist node (Redis's zskiplistNode): its levels a
 * flexible array, one to 32 of them */
struct zset_node {
	void *ele;               /* an sds, its dict entry's key too */
	double score;
	struct zset_node *backward;
	struct zset_level {
		struct zset_node *forward;
		unsigned long span;
	} level[];
};

/* a set member in a bucket already taken (Redis 7.2's dictEntryNoValue),
 * linked from the bucket by its address + 2 (ENTRY_PTR_NO_VALUE) */
struct set_entry {
	void *key;               /* an sds */
	struct redis_entry *next; /* an odd sds or a tagged set_entry */
};

#define SHARED_INTEGERS 10000
#define ZSET_LEVELS 32
static struct robj *shared_integers[SHARED_INTEGERS];
static struct redis_entry **rdict, **rset;
static size_t rdict_size, rset_size;
static struct zset_node *zset_header;

/* an sds: sdshdr8's three bytes (length, allocated length, type) before
 * the characters, in a block of no type (the site's result is a
 * `void *`); the pointer to the characters is odd, as Redis's, whose sets
 * keep such keys in their buckets themselves */
static char *new_sds(const char *text)
{
	size_t len = strlen(text);
	uint8_t *sh = malloc(3 + len + 1);
	char *s = (char *)sh + 3;
	sh[0] = (uint8_t)len;
	sh[1] = (uint8_t)len;
	sh[2] = 1;
	memcpy(s, text, len + 1);
	nobjects++;
	nbytes += 3 + len + 1;
	return s;
}

static struct robj *new_robj(void *ptr)
{
	struct robj *o = malloc(sizeof(*o));
	o->type = 0;
	o->encoding = 0;
	o->lru = 0;
	o->refcount = 1;
	o->ptr = ptr;
	nobjects++;
	nbytes += sizeof(*o);
	return o;
}

/* a short string value as Redis keeps it (OBJ_ENCODING_EMBSTR): the
 * object and its sds in one block, the object's ptr into the block */
static struct robj *new_embstr(const char *text)
{
	size_t len = strlen(text);
	struct robj *o = malloc(sizeof(*o) + 3 + len + 1);
	uint8_t *sh = (uint8_t *)(o + 1);
	o->type = 0;
	o->encoding = 8;
	o->lru = 0;
	o->refcount = 1;
	sh[0] = (uint8_t)len;
	sh[1] = (uint8_t)len;
	sh[2] = 1;
	memcpy(sh + 3, text, len + 1);
	o->ptr = sh + 3;
	nobjects++;
	nbytes += sizeof(*o) + 3 + len + 1;
	return o;
}

/* every startup's: the old version's replace them */
static __attribute__((noinline)) void create_shared(void)
{
	for (long i = 0; i < SHARED_INTEGERS; i++) {
		shared_integers[i] = malloc(sizeof(struct robj));
		shared_integers[i]->refcount = -1;
		shared_integers[i]->ptr = (void *)i;
	}
}

/* the code reading an entry's value as a robj (a member-use record) */
static __attribute__((noinline)) int redis_refcount(const struct redis_entry *e)
{
	const struct robj *o = e->v.val;
	return o ? o->refcount : 0;
}

/* A permutation of [0, n) (seed: which): the order a server's traffic
 * made its blocks in, unrelated to the order its dictionary links them. */
static size_t *shuffled(size_t n, unsigned seed)
{
	size_t *p = malloc(n * sizeof(*p));
	for (size_t i = 0; i < n; i++)
		p[i] = i;
	for (size_t i = n; i > 1; i--) {
		seed = seed * 1103515245u + 12345u;
		size_t j = ((size_t)seed << 16 ^ (seed >> 8)) % i, t = p[i - 1];
		p[i - 1] = p[j];
		p[j] = t;
	}
	return p;
}

/* A skiplist node for the member whose key is ele, of Redis's random
 * level (each further level with probability 1/4). */
static struct zset_node *new_zset_node(void *ele, double score, unsigned *seed)
{
	unsigned levels = 1;
	for (;;) {
		*seed = *seed * 1103515245u + 12345u;
		if (levels == ZSET_LEVELS || (*seed >> 16 & 3))
			break;
		levels++;
	}
	struct zset_node *z = calloc(1, sizeof(*z) + levels * sizeof(z->level[0]));
	z->ele = ele;
	z->score = score;
	z->level[0].span = levels; /* the node's level count, for linking */
	nobjects++;
	nbytes += sizeof(*z) + levels * sizeof(z->level[0]);
	return z;
}

/* Link the nodes z[0..n) into the skiplist in this order (scores
 * rising). */
static void link_zset(struct zset_node **z, size_t n)
{
	struct zset_node *last[ZSET_LEVELS];
	zset_header = calloc(1, sizeof(*zset_header) + ZSET_LEVELS * sizeof(zset_header->level[0]));
	nobjects++;
	for (unsigned l = 0; l < ZSET_LEVELS; l++)
		last[l] = zset_header;
	for (size_t i = 0; i < n; i++) {
		unsigned levels = (unsigned)z[i]->level[0].span;
		z[i]->backward = i ? z[i - 1] : NULL;
		for (unsigned l = 0; l < levels; l++) {
			last[l]->level[l].forward = z[i];
			last[l]->level[l].span = 1;
			last[l] = z[i];
		}
	}
}

/* A set member into rset as Redis 7.2 does (no value, keys odd): the
 * key itself in an empty bucket, else a set_entry tagged with 2. */
static void set_add(char *key, size_t hash)
{
	struct redis_entry **b = &rset[hash & (rset_size - 1)];
	if (!*b) {
		*b = (struct redis_entry *)key;
		return;
	}
	struct set_entry *se = malloc(sizeof(*se));
	se->key = key;
	se->next = *b;
	*b = (struct redis_entry *)((uintptr_t)se | 2);
	nobjects++;
	nbytes += sizeof(*se);
}

/* Redis's shapes after `redis-benchmark -t set,hset,sadd,zadd`, one in
 * five entries each: a string (an entry, its key, an embedded string
 * value), a hash field (an entry, its key, an sds value), a sorted set's
 * member (an entry, its key, the value a pointer to the score in the
 * member's skiplist node), a set member (its key alone in a bucket, or
 * behind a tagged set_entry), an expiry (an entry holding a number).
 * The entries first, then their keys and then their values each in an
 * order of their own (a key's string, its entry and its value are made at
 * different moments in Redis), linked into buckets by a hash: a pointer's
 * target is seldom near its holder or the previous pointer's target, as
 * in a real server's heap; allocated in link order, the transfer's
 * lookups hit the cache, which hid more than half of the CPU this heap
 * costs (3.8 against 8.4 us per object at 10^6, 2026-12-06, load 12-17),
 * as Redis 7.2.6's costs (7-9 us). */
static __attribute__((noinline)) void build_redis(size_t n)
{
	char text[48];
	size_t m = n * 5 / 12 + 1; /* five entries make 12.4 objects */
	struct redis_entry **e = malloc(m * sizeof(*e));
	struct zset_node **z = malloc((m / 5 + 1) * sizeof(*z));
	char **keys = malloc(m * sizeof(*keys));
	size_t *key_order = shuffled(m, 1), *value_order = shuffled(m, 2), nz = 0;
	unsigned seed = 3;

	rdict_size = n / 4 + 1;
	rdict = calloc(rdict_size, sizeof(*rdict));
	for (rset_size = 1; rset_size < m / 5 + 1; rset_size *= 2)
		;
	rset = calloc(rset_size, sizeof(*rset));
	nobjects += 2;
	nbytes += (rdict_size + rset_size) * sizeof(*rdict);
	for (size_t i = 0; i < m; i++) {
		e[i] = NULL;
		if (i % 5 != 3) {
			e[i] = malloc(sizeof(**e));
			nobjects++;
			nbytes += sizeof(**e);
		}
	}
	for (size_t k = 0; k < m; k++) {
		size_t i = key_order[k];
		snprintf(text, sizeof(text), "key:%zu", i);
		keys[i] = new_sds(text);
		if (e[i])
			e[i]->key = keys[i];
	}
	for (size_t k = 0; k < m; k++) {
		size_t i = value_order[k];
		snprintf(text, sizeof(text), "value %zu", i);
		switch (i % 5) {
		case 0:
			e[i]->v.val = new_embstr(text);
			break;
		case 1:
			e[i]->v.val = new_sds(text);
			break;
		case 2:
			z[i / 5] = new_zset_node(keys[i], (double)i, &seed);
			e[i]->v.val = &z[i / 5]->score;
			nz++;
			break;
		case 3:
			set_add(keys[i], (size_t)(i * 0x9e3779b97f4a7c15ull >> 24));
			break;
		default:
			e[i]->v.s64 = (long)i; /* an expiry */
		}
	}
	link_zset(z, nz);
	for (size_t i = 0; i < m; i++) {
		if (!e[i])
			continue;
		size_t b = (i * 0x9e3779b97f4a7c15ull >> 20) % rdict_size;
		e[i]->next = rdict[b];
		rdict[b] = e[i];
	}
	free(e);
	free(z);
	free(keys);
	free(key_order);
	free(value_order);
	if (redis_refcount(rdict[0]) < 0)
		abort();
}

/* slab: an item, as memcached's; the pages holding items have no type */
struct client {
	long id;
	char name[24];
	struct client *next;
};

struct item {
	struct item *next, *prev; /* the LRU, across pages */
	struct item *h_next;      /* the hash chain */
	struct client *owner;
	uint32_t nbytes, time;
	uint8_t nkey, clsid;
	char data[];              /* key, then value: raw bytes */
};

static struct item **item_table;
static size_t item_table_size;
static struct item *lru_head;
static struct client *clients;
static void **slab_pages;

#define SLAB_PAGE (1u << 20)

/* a page's memory, as a slab allocator asks for it: no type */
static __attribute__((noinline)) void *slab_page_new(void)
{
	void *page = malloc(SLAB_PAGE);
	nobjects++;
	nbytes += SLAB_PAGE;
	return page;
}

static __attribute__((noinline)) void build_slab(size_t mib)
{
	static const uint32_t classes[] = { 96, 192, 384, 768, 1536 };
	uint64_t rnd = 88172645463325252ULL;
	size_t nitems = 0;

	for (long c = 0; c < 256; c++) {
		struct client *cl = malloc(sizeof(*cl));
		cl->id = c;
		snprintf(cl->name, sizeof(cl->name), "client %ld", c);
		cl->next = clients;
		clients = cl;
		nobjects++;
		nbytes += sizeof(*cl);
	}
	item_table_size = mib * 2048;
	item_table = calloc(item_table_size, sizeof(*item_table));
	slab_pages = calloc(mib, sizeof(*slab_pages));
	nobjects += 2;
	nbytes += item_table_size * sizeof(*item_table) + mib * sizeof(*slab_pages);
	for (size_t p = 0; p < mib; p++) {
		char *page = slab_page_new();
		uint32_t size = classes[p % 5];
		slab_pages[p] = page;
		for (uint32_t off = 0; off + size <= SLAB_PAGE; off += size, nitems++) {
			struct item *it = (struct item *)(page + off);
			int nkey = snprintf(it->data, 32, "key:%zu", nitems);
			size_t b = nitems % item_table_size;
			it->nkey = (uint8_t)nkey;
			it->clsid = (uint8_t)(p % 5);
			it->nbytes = size - (uint32_t)sizeof(*it) - (uint32_t)nkey - 1;
			it->time = (uint32_t)nitems;
			it->owner = nitems % 4 ? NULL : clients;
			it->prev = NULL;
			it->next = lru_head;
			if (lru_head)
				lru_head->prev = it;
			lru_head = it;
			it->h_next = item_table[b];
			item_table[b] = it;
			char *value = it->data + nkey + 1;
			if (nitems % 2) {
				memset(value, 'a' + (int)(nitems % 26), it->nbytes);
			} else {
				for (uint32_t w = 0; w + 8 <= it->nbytes; w += 8) {
					rnd ^= rnd << 13;
					rnd ^= rnd >> 7;
					rnd ^= rnd << 17;
					memcpy(value + w, &rnd, 8);
				}
			}
		}
	}
	nobjects += nitems;
}

/* events: a libevent-style server's heap.  The library's memory has no
 * type (libevent is not instrumented): its base and its fd map (slots
 * pointing to the events embedded in the program's connections: each
 * pins its connection, which keeps its address), its buffers (a header,
 * then a chain of blocks of a header and bytes; one connection in 8
 * reading a 4-16 KiB body).  The program's own: connections holding two
 * events (the base, a callback, its argument, a timer's heap index), a
 * request with a path and a list of headers (its type changes in the
 * new version), and the timers' min-heap of `struct event *` into the
 * connections. */
struct event {
	void *ev_base;            /* the library's base: untyped */
	void (*ev_callback)(int, short, void *);
	void *ev_arg;             /* the connection */
	long ev_timeout;
	int ev_fd, ev_heap_idx;
	short ev_events, ev_flags;
};

struct header {
	char *name, *value;       /* strings */
	struct header *next;
};

#ifndef XFER_BENCH_NEW_TYPES
struct request {
	int method;
	char *path;
	struct header *headers;
	long content_length;
};
#else
struct request {
	char *path;
	long content_length;
	struct header *headers;
	int method;
	long started;
};
#endif

struct conn {
	int fd;
	struct event rd, wr;
	void *input, *output;     /* the library's buffers: untyped */
	struct request *req;
	struct conn *next;
};

/* a buffer's chain block: the library's, as evbuffer_chain */
struct chain_head {
	void *next;
	size_t buffer_len, misalign, off;
	unsigned char *buffer;    /* just past this header */
};

static void *ev_base;
static struct event **timer_heap;
static size_t timer_count;
static struct conn *conns;

static void on_read(int fd, short what, void *arg)
{
	(void)fd, (void)what, (void)arg;
}

static void on_write(int fd, short what, void *arg)
{
	(void)fd, (void)what, (void)arg;
}

/* the library's memory: malloc'd where no type says what it holds */
static __attribute__((noinline)) void *lib_alloc(size_t size)
{
	void *p = calloc(1, size);
	nobjects++;
	nbytes += size;
	return p;
}

static void put_word(void *block, size_t off, const void *v)
{
	memcpy((char *)block + off, &v, sizeof(v));
}

/* a buffer: a header (first and last chain, length) and one chain of
 * len bytes */
static __attribute__((noinline)) void *lib_buffer(size_t len, size_t i)
{
	void *buf = lib_alloc(48);
	if (!len)
		return buf;
	struct chain_head h = { NULL, len, 0, len, NULL };
	void *chain = lib_alloc(sizeof(h) + len);
	h.buffer = (unsigned char *)chain + sizeof(h);
	memcpy(chain, &h, sizeof(h));
	memset(h.buffer, 'a' + (int)(i % 26), len);
	put_word(buf, 0, chain);
	put_word(buf, 8, chain);
	memcpy((char *)buf + 16, &len, sizeof(len));
	return buf;
}

static char *new_string(const char *text)
{
	size_t len = strlen(text) + 1;
	char *s = malloc(len);
	memcpy(s, text, len);
	nobjects++;
	nbytes += len;
	return s;
}

static void timer_push(struct event *ev)
{
	size_t i = timer_count++;
	while (i && timer_heap[(i - 1) / 2]->ev_timeout > ev->ev_timeout) {
		timer_heap[i] = timer_heap[(i - 1) / 2];
		timer_heap[i]->ev_heap_idx = (int)i;
		i = (i - 1) / 2;
	}
	timer_heap[i] = ev;
	ev->ev_heap_idx = (int)i;
}

static void event_set(struct event *ev, struct conn *c, void (*cb)(int, short, void *),
		      short what)
{
	ev->ev_base = ev_base;
	ev->ev_callback = cb;
	ev->ev_arg = c;
	ev->ev_fd = c->fd;
	ev->ev_events = what;
	ev->ev_flags = 0;
	ev->ev_heap_idx = -1;
	ev->ev_timeout = 0;
}

static __attribute__((noinline)) void build_events(size_t n)
{
	char text[64];
	/* a connection makes its struct, a request and its path, 2 headers
	 * of 3 objects, 2 buffers of 1 or 2 blocks: about 11.6 objects */
	size_t nconns = n * 5 / 58 + 1;
	uint64_t rnd = 88172645463325252ULL;

	ev_base = lib_alloc(256);
	void *fdmap = lib_alloc((nconns + 1) * 8);
	put_word(ev_base, 0, fdmap);
	timer_heap = malloc(nconns * sizeof(*timer_heap));
	nobjects++;
	nbytes += nconns * sizeof(*timer_heap);
	put_word(ev_base, 8, timer_heap);
	for (size_t i = 0; i < nconns; i++) {
		struct conn *c = malloc(sizeof(*c));
		nobjects++;
		nbytes += sizeof(*c);
		c->fd = (int)i + 1;
		event_set(&c->rd, c, on_read, 2);
		event_set(&c->wr, c, on_write, 4);
		/* the fd map names the read event: the library's pointer
		 * into the program's connection */
		put_word(fdmap, (i + 1) * 8, &c->rd);
		rnd ^= rnd << 13;
		rnd ^= rnd >> 7;
		rnd ^= rnd << 17;
		c->rd.ev_timeout = (long)(rnd % 100000);
		timer_push(&c->rd);
		c->input = lib_buffer(i % 8 ? 0 : 4096 + (rnd >> 20) % 12289, i);
		c->output = lib_buffer(i % 2 ? 0 : 200 + i % 300, i);
		struct request *r = malloc(sizeof(*r));
		nobjects++;
		nbytes += sizeof(*r);
		r->method = (int)(i % 3);
		snprintf(text, sizeof(text), "/files/%zu/index.html", i);
		r->path = new_string(text);
		r->headers = NULL;
		for (int h = 0; h < 2; h++) {
			struct header *hd = malloc(sizeof(*hd));
			nobjects++;
			nbytes += sizeof(*hd);
			hd->name = new_string(h ? "Host" : "User-Agent");
			snprintf(text, sizeof(text), "client-%zu.example", i);
			hd->value = new_string(text);
			hd->next = r->headers;
			r->headers = hd;
		}
		r->content_length = (long)i;
		c->req = r;
		c->next = conns;
		conns = c;
	}
	memcpy((char *)ev_base + 16, &timer_count, sizeof(timer_count));
	if (timer_heap[0]->ev_heap_idx)
		abort();
}

static __attribute__((noinline)) void build_real(size_t n, int mixed)
{
	struct user *last_user = NULL;
	char text[48];

	dict_size = n / 6 + 1;
	dict = calloc(dict_size, sizeof(*dict));
	nobjects++;
	nbytes += dict_size * sizeof(*dict);
	for (size_t i = 0; nobjects < n; i++) {
		struct dict_entry *e = malloc(sizeof(*e));
		nobjects++;
		nbytes += sizeof(*e);
		snprintf(text, sizeof(text), "key:%zu", i);
		e->key = new_sstr(text);
		switch (i % 3) {
		case 0: {
			struct user *u = malloc(sizeof(*u));
			nobjects++;
			nbytes += sizeof(*u);
			snprintf(text, sizeof(text), "user %zu", i);
			u->name = new_sstr(text);
			u->id = (long)i;
			u->friend = last_user;
			u->score = (double)i / 7;
			last_user = u;
			e->val = u;
			break;
		}
		case 1: {
			struct session *se = malloc(sizeof(*se));
			nobjects++;
			nbytes += sizeof(*se);
			se->prev = NULL;
			se->next = sessions;
			if (sessions)
				sessions->prev = se;
			sessions = se;
			se->owner = last_user;
			se->expires = (long)i * 1000;
			snprintf(se->token, sizeof(se->token), "t%zu", i);
			e->val = se;
			break;
		}
		default: {
			struct counter *c = malloc(sizeof(*c));
			nobjects++;
			nbytes += sizeof(*c);
			c->hits = (long)i;
			c->misses = (long)i / 2;
			snprintf(text, sizeof(text), "counter %zu", i);
			c->label = new_sstr(text);
			e->val = c;
		}
		}
		if (mixed && i % 8 == 0)
			attach(e, i);
		size_t b = i % dict_size;
		e->next = dict[b];
		dict[b] = e;
	}
}

static struct tree *insert(struct tree *t, long key)
{
	struct tree **p = &t;
	while (*p)
		p = key < (*p)->key ? &(*p)->left : &(*p)->right;
	*p = malloc(sizeof(**p));
	(*p)->left = (*p)->right = NULL;
	(*p)->key = key;
	return t;
}

static __attribute__((noinline)) void build(size_t n)
{
	size_t third = n / 3 ? n / 3 : 1;
	uint64_t rnd = 88172645463325252ULL;

	for (size_t i = 0; i < third; i++) {
		struct node *nd = malloc(sizeof(*nd));
		nd->next = list;
		nd->value = (long)i;
		nd->key = (int)i;
		list = nd;
		nobjects++;
		nbytes += sizeof(*nd);
	}
	for (size_t i = 0; i < third; i++) {
		rnd ^= rnd << 13;
		rnd ^= rnd >> 7;
		rnd ^= rnd << 17;
		root = insert(root, (long)(rnd >> 1));
		nobjects++;
		nbytes += sizeof(struct tree);
	}
	nbuckets = third / 2 + 1;
	buckets = calloc(nbuckets, sizeof(*buckets));
	nobjects++;
	nbytes += nbuckets * sizeof(*buckets);
	for (size_t i = 0; nobjects < n; i++) {
		struct entry *e = malloc(sizeof(*e));
		snprintf(e->keybuf, sizeof(e->keybuf), "k%zu", i);
		e->key = e->keybuf + 1;
		e->value = (long)i;
		e->chain = buckets[i % nbuckets];
		buckets[i % nbuckets] = e;
		nobjects++;
		nbytes += sizeof(*e);
	}
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoul(argv[1], NULL, 10) : 1000;

	if (argc > 2 && !strcmp(argv[2], "redis"))
		create_shared();
	if (!stf_is_updating()) {
		if (argc > 2 && !strcmp(argv[2], "redis"))
			build_redis(n);
		else if (argc > 2 && !strcmp(argv[2], "big"))
			build_big(n);
		else if (argc > 2 && !strcmp(argv[2], "real"))
			build_real(n, 0);
		else if (argc > 2 && !strcmp(argv[2], "mixed"))
			build_real(n, 1);
		else if (argc > 2 && !strcmp(argv[2], "slab"))
			build_slab(n);
		else if (argc > 2 && !strcmp(argv[2], "events"))
			build_events(n);
		else
			build(n);
		/* the baseline: copying the same number of bytes in memory */
		char *a = malloc(nbytes), *b = malloc(nbytes);
		double best = 1e9;
		memset(a, 1, nbytes);
		memset(b, 2, nbytes);
		for (int r = 0; r < 5; r++) {
			double t = now();
			memcpy(b, a, nbytes);
			t = now() - t;
			if (t < best)
				best = t;
		}
		printf("objects=%zu bytes=%zu memcpy_seconds=%.9f check=%d\n", nobjects, nbytes,
		       best, b[nbytes / 2]);
		fflush(stdout);
		free(a);
		free(b);
	}
	for (;;) {
		stf_update_point();
		usleep(5000);
	}
}
