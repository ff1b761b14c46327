/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * regiond - a key-value server on poll() whose memory is regions, written
 * the way a C programmer who knows nginx and APR writes one (wave 22's
 * hunt, issue 8):
 *   - a region (`struct pool`) lives at the head of its own first block,
 *     carves objects out of its blocks with a static helper (carve()),
 *     sends requests larger than a quarter block to malloc() with a
 *     cleanup that frees them, runs cleanup callbacks {fn, data} when it
 *     is reset or destroyed, and has child regions destroyed with it;
 *   - pools are reset and reused: each connection's request region is
 *     reset after every line, a key's region is reset and refilled when
 *     its value is replaced, and a closed connection's region is reset
 *     and kept on a list of spare regions that the next connection takes
 *     (its blocks hold whatever the last owner wrote there);
 *   - values behind `void *` of three struct types told apart by their
 *     first member (a tag): texts, numbers, and lists whose items are a
 *     vector of `void *` grown by carving a larger one (the old vector
 *     stays, dead, in the region); a key's cleanup callback gets its entry
 *     as `void *data` and unlinks it from the index.
 * Only pool_alloc() and pool_strdup() are declared STF_ALLOCATOR.
 * Release 2 grows the text and number values (in their middle), the
 * entry (before its value) and the connection, and counts requests.
 *
 * Protocol: SET k v -> OK (a canonical integer is kept as a number), GET
 * k -> VALUE v | NONE, DEL k -> OK | NONE, INCR k -> COUNT n, RPUSH k v ->
 * LEN n, LRANGE k -> LIST a,b,... | NONE, TYPE k -> TYPE int|str|list|none,
 * REGIONS -> REGIONS live spare resets, VERSION, VERIFY.
 * Usage: regiond PORT-FILE
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <stf.h>

#ifdef BUILD_O0
#pragma GCC optimize("O0") /* the build run by regiond-O0.sh */
#endif

#include "../port-listener.h"

#ifndef REL
#define REL 1
#endif

#define BLOCK_SIZE 2048
#define NBUCKETS 256
#define MAX_CONNS 64
#define INBUF 1024

/* ---- regions ---- */

struct block {
	struct block *next;
	char *pos, *end;
};

struct cleanup {
	void (*fn)(void *data);
	void *data;
	struct cleanup *next;
};

struct pool {
	struct block *first, *current;
	struct pool *parent, *children, *next_sibling;
	struct cleanup *cleanups;
	size_t block_size;
};

STF_ALLOCATOR void *pool_alloc(struct pool *p, size_t n);
STF_ALLOCATOR char *pool_strdup(struct pool *p, const char *s);

static unsigned long regions_live, region_resets;

static void *carve(struct block *b, size_t n)
{
	char *at = (char *)(((uintptr_t)b->pos + 15) & ~(uintptr_t)15);

	if (at + n > b->end)
		return NULL;
	b->pos = at + n;
	return at;
}

/* calloc, as doc/limits.md asks of pool chunks: with malloc, a stale
 * address in a block's leftovers (once a code address mid-function)
 * rolled an update back. */
static struct block *new_block(size_t size)
{
	struct block *b = calloc(1, size);

	if (!b)
		abort();
	b->next = NULL;
	b->pos = (char *)(b + 1);
	b->end = (char *)b + size;
	return b;
}

static void pool_add_cleanup(struct pool *p, void (*fn)(void *), void *data)
{
	struct cleanup *c = pool_alloc(p, sizeof *c);

	c->fn = fn;
	c->data = data;
	c->next = p->cleanups;
	p->cleanups = c;
}

void *pool_alloc(struct pool *p, size_t n)
{
	struct block *b;
	void *r;

	if (n > p->block_size / 4) {
		r = malloc(n);
		if (!r)
			abort();
		pool_add_cleanup(p, free, r);
		return r;
	}
	for (b = p->current; b; b = b->next)
		if ((r = carve(b, n)))
			return r;
	b = new_block(p->block_size);
	for (struct block *last = p->current; last; last = last->next)
		if (!last->next) {
			last->next = b;
			break;
		}
	p->current = b;
	return carve(b, n);
}

char *pool_strdup(struct pool *p, const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(pool_alloc(p, n), s, n);
}

struct pool *pool_create(struct pool *parent, size_t block_size)
{
	struct block *b = new_block(block_size);
	struct pool *p = carve(b, sizeof *p);

	p->first = p->current = b;
	p->block_size = block_size;
	p->cleanups = NULL;
	p->children = NULL;
	p->parent = parent;
	p->next_sibling = parent ? parent->children : NULL;
	if (parent)
		parent->children = p;
	regions_live++;
	return p;
}

static void pool_unlink(struct pool *p)
{
	struct pool **pp;

	if (!p->parent)
		return;
	for (pp = &p->parent->children; *pp != p; pp = &(*pp)->next_sibling)
		;
	*pp = p->next_sibling;
	p->parent = NULL;
}

void pool_destroy(struct pool *p);

static void run_cleanups(struct pool *p)
{
	while (p->children)
		pool_destroy(p->children);
	while (p->cleanups) {
		struct cleanup *c = p->cleanups;
		p->cleanups = c->next;
		c->fn(c->data);
	}
}

/* Everything carved is given back; the blocks stay, their bytes as the
 * last owner left them. */
void pool_reset(struct pool *p)
{
	run_cleanups(p);
	for (struct block *b = p->first; b; b = b->next)
		b->pos = b == p->first ? (char *)(p + 1) : (char *)(b + 1);
	p->current = p->first;
	region_resets++;
}

void pool_destroy(struct pool *p)
{
	struct block *b, *next;

	run_cleanups(p);
	pool_unlink(p);
	regions_live--;
	for (b = p->first->next; b; b = next) {
		next = b->next;
		free(b);
	}
	free(p->first);
}

/* ---- values: three structs behind void *, told apart by their tag ---- */

enum vtag { V_TEXT = 0x54, V_NUM = 0x4e, V_LIST = 0x4c };

struct text_val {
	enum vtag tag;
	size_t len;
#if REL >= 2
	unsigned long reads; /* new in 2 */
#endif
	char *text;
};

struct num_val {
	enum vtag tag;
#if REL >= 2
	long low; /* new in 2: the smallest value it held */
#endif
	long n;
};

struct list_val {
	enum vtag tag;
	size_t len, cap;
	void **items; /* char * carved from the entry's region */
};

struct entry {
	struct entry *next;
	struct pool *region; /* the entry and its value live here */
	char *key;
#if REL >= 2
	unsigned long writes; /* new in 2 */
#endif
	void *val;
};

static struct pool *root, *store_region, *conn_region;
static struct entry *buckets[NBUCKETS];
static unsigned long entries;

static unsigned hash(const char *s)
{
	unsigned h = 5381;

	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h % NBUCKETS;
}

static struct entry **find(const char *key)
{
	struct entry **pe = &buckets[hash(key)];

	while (*pe && strcmp((*pe)->key, key))
		pe = &(*pe)->next;
	return pe;
}

/* The entry's region cleanup: off the index (the region goes with it). */
static void entry_gone(void *data)
{
	struct entry *e = data;
	struct entry **pe = find(e->key);

	if (*pe == e) {
		*pe = e->next;
		entries--;
	}
}

static int canonical_number(const char *s, long *n)
{
	char buf[32], *end;

	errno = 0;
	*n = strtol(s, &end, 10);
	if (errno || *end || end == s)
		return 0;
	snprintf(buf, sizeof buf, "%ld", *n);
	return !strcmp(buf, s);
}

static void *make_value(struct pool *p, const char *v)
{
	long n;

	if (canonical_number(v, &n)) {
		struct num_val *nv = pool_alloc(p, sizeof *nv);
		nv->tag = V_NUM;
		nv->n = n;
#if REL >= 2
		nv->low = n;
#endif
		return nv;
	}
	struct text_val *tv = pool_alloc(p, sizeof *tv);
	tv->tag = V_TEXT;
	tv->len = strlen(v);
	tv->text = pool_strdup(p, v);
#if REL >= 2
	tv->reads = 0;
#endif
	return tv;
}

/* The entry of key, made in a fresh region or, when it exists, its
 * region reset and the entry carved again at the front. */
static struct entry *entry_fresh(const char *key)
{
	struct entry **pe = find(key), *e = *pe;
	struct pool *r;
#if REL >= 2
	unsigned long writes = e ? e->writes : 0;
#endif

	if (e) {
		r = e->region;
		pool_reset(r); /* runs entry_gone: e is off the index */
	} else {
		r = pool_create(store_region, BLOCK_SIZE / 2);
	}
	e = pool_alloc(r, sizeof *e);
	e->region = r;
	e->key = pool_strdup(r, key);
	e->val = NULL;
#if REL >= 2
	e->writes = writes + 1;
#endif
	pool_add_cleanup(r, entry_gone, e);
	pe = find(key);
	e->next = *pe;
	*pe = e;
	entries++;
	return e;
}

static const char *type_name(const void *v)
{
	switch (v ? *(const enum vtag *)v : 0) {
	case V_TEXT: return "str";
	case V_NUM: return "int";
	case V_LIST: return "list";
	default: return "none";
	}
}

/* ---- connections ---- */

struct conn {
	int fd;
	struct pool *region;   /* the connection's; reused by the next one */
	struct pool *request;  /* child of region, reset after each line */
#if REL >= 2
	unsigned long requests; /* new in 2 */
#endif
	size_t inlen;
	char *in;              /* INBUF bytes, a large allocation of region */
};

static struct conn *conns[MAX_CONNS];
static struct pool *spare_regions[MAX_CONNS];
static int nspare;
static unsigned long served;

#include "../line-conn.h"

static int verify_value(const struct entry *e, char *why, size_t whylen)
{
	const struct text_val *tv;
	const struct num_val *nv;
	const struct list_val *lv;

	switch (*(const enum vtag *)e->val) {
	case V_TEXT:
		tv = e->val;
		if (strlen(tv->text) != tv->len) {
			snprintf(why, whylen, "text of %s: length %zu for '%s'", e->key, tv->len, tv->text);
			return 0;
		}
		return 1;
	case V_NUM:
		nv = e->val;
#if REL >= 2
		if (nv->low > nv->n) {
			snprintf(why, whylen, "number of %s: low %ld above %ld", e->key, nv->low, nv->n);
			return 0;
		}
#else
		(void)nv;
#endif
		return 1;
	case V_LIST:
		lv = e->val;
		if (lv->len > lv->cap) {
			snprintf(why, whylen, "list of %s: %zu items in %zu", e->key, lv->len, lv->cap);
			return 0;
		}
		for (size_t i = 0; i < lv->len; i++)
			if (!lv->items[i] || strlen(lv->items[i]) > 64) {
				snprintf(why, whylen, "list of %s: item %zu", e->key, i);
				return 0;
			}
		return 1;
	}
	snprintf(why, whylen, "value of %s: tag %d", e->key, *(const int *)e->val);
	return 0;
}

static void verify(struct conn *c)
{
	char why[256];
	unsigned long n = 0, regions = 0, nconns = 0;

	for (size_t b = 0; b < NBUCKETS; b++)
		for (struct entry *e = buckets[b]; e; e = e->next) {
			struct cleanup *cl = e->region->cleanups;
			while (cl && cl->fn != entry_gone)
				cl = cl->next;
			if (hash(e->key) != b || !cl || cl->data != e || e->region->parent != store_region ||
			    !verify_value(e, why, sizeof why)) {
				reply(c, "VERIFY bad entry %s: %s\n", e->key, cl ? why : "no cleanup");
				return;
			}
			n++;
		}
	for (struct pool *p = store_region->children; p; p = p->next_sibling)
		regions++;
	for (int i = 0; i < MAX_CONNS; i++)
		if (conns[i]) {
			nconns++;
			if (conns[i]->request->parent != conns[i]->region ||
			    conns[i]->region->parent != conn_region) {
				reply(c, "VERIFY bad connection %d\n", i);
				return;
			}
		}
	if (n != entries || regions != entries) {
		reply(c, "VERIFY bad count: %lu entries, %lu regions, %lu counted\n", n, regions, entries);
		return;
	}
	reply(c, "VERIFY ok entries=%lu regions=%lu conns=%lu spare=%d served=%lu\n", n,
	      regions_live, nconns, nspare, served);
}

static void list_push(struct entry *e, const char *v)
{
	struct list_val *lv = e->val;

	if (!lv || lv->tag != V_LIST) {
		lv = pool_alloc(e->region, sizeof *lv);
		lv->tag = V_LIST;
		lv->len = 0;
		lv->cap = 0;
		lv->items = NULL;
		e->val = lv;
	}
	if (lv->len == lv->cap) {
		void **items = pool_alloc(e->region, (lv->cap ? lv->cap * 2 : 2) * sizeof *items);
		if (lv->len)
			memcpy(items, lv->items, lv->len * sizeof *items);
		lv->items = items; /* the old vector stays in the region, dead */
		lv->cap = lv->cap ? lv->cap * 2 : 2;
	}
	lv->items[lv->len++] = pool_strdup(e->region, v);
}

static void command(struct conn *c, char *line)
{
	char **av = pool_alloc(c->request, 4 * sizeof *av), *p;
	struct entry *e;
	int ac = 0;

	served++;
#if REL >= 2
	c->requests++;
#endif
	p = pool_strdup(c->request, line);
	while (ac < 4 && (av[ac] = strsep(&p, " ")))
		if (*av[ac])
			ac++;
	if (ac == 1 && !strcmp(av[0], "VERSION")) {
		reply(c, "VERSION regiond %d\n", REL);
	} else if (ac == 1 && !strcmp(av[0], "VERIFY")) {
		verify(c);
	} else if (ac == 1 && !strcmp(av[0], "REGIONS")) {
		reply(c, "REGIONS %lu %d %lu\n", regions_live, nspare, region_resets);
	} else if (ac == 3 && !strcmp(av[0], "SET")) {
		e = entry_fresh(av[1]);
		e->val = make_value(e->region, av[2]);
		reply(c, "OK\n");
	} else if (ac == 2 && !strcmp(av[0], "GET")) {
		e = *find(av[1]);
		if (!e || !e->val || *(enum vtag *)e->val == V_LIST) {
			reply(c, "NONE\n");
		} else if (*(enum vtag *)e->val == V_NUM) {
			reply(c, "VALUE %ld\n", ((struct num_val *)e->val)->n);
		} else {
			struct text_val *tv = e->val;
#if REL >= 2
			tv->reads++;
#endif
			reply(c, "VALUE %s\n", tv->text);
		}
	} else if (ac == 2 && !strcmp(av[0], "DEL")) {
		e = *find(av[1]);
		if (e)
			pool_destroy(e->region);
		reply(c, e ? "OK\n" : "NONE\n");
	} else if (ac == 2 && !strcmp(av[0], "TYPE")) {
		e = *find(av[1]);
		reply(c, "TYPE %s\n", type_name(e ? e->val : NULL));
	} else if (ac == 2 && !strcmp(av[0], "INCR")) {
		e = *find(av[1]);
		if (!e || !e->val || *(enum vtag *)e->val != V_NUM) {
			e = entry_fresh(av[1]);
			e->val = make_value(e->region, "0");
		}
		struct num_val *nv = e->val;
		nv->n++;
		reply(c, "COUNT %ld\n", nv->n);
	} else if (ac == 3 && !strcmp(av[0], "RPUSH")) {
		e = *find(av[1]);
		if (!e || !e->val || *(enum vtag *)e->val != V_LIST)
			e = entry_fresh(av[1]);
		list_push(e, av[2]);
		reply(c, "LEN %zu\n", ((struct list_val *)e->val)->len);
	} else if (ac == 2 && !strcmp(av[0], "LRANGE")) {
		e = *find(av[1]);
		if (!e || !e->val || *(enum vtag *)e->val != V_LIST) {
			reply(c, "NONE\n");
		} else {
			struct list_val *lv = e->val;
			size_t n = 0, cap = 16;
			char *out = pool_alloc(c->request, cap);
			for (size_t i = 0; i < lv->len; i++) {
				size_t k = strlen(lv->items[i]);
				if (n + k + 2 > cap) {
					char *bigger = pool_alloc(c->request, cap = 2 * (n + k + 2));
					memcpy(bigger, out, n);
					out = bigger;
				}
				if (i)
					out[n++] = ',';
				memcpy(out + n, lv->items[i], k);
				n += k;
			}
			out[n] = 0;
			reply(c, "LIST %s\n", out);
		}
	} else {
		reply(c, "ERROR unknown\n");
	}
	pool_reset(c->request);
}

static void conn_open(int fd)
{
	struct pool *r = nspare ? spare_regions[--nspare] : pool_create(conn_region, BLOCK_SIZE);
	struct conn *c;
	int i;

	for (i = 0; i < MAX_CONNS && conns[i]; i++)
		;
	if (i == MAX_CONNS) {
		close(fd);
		return;
	}
	if (!r->parent) { /* a spare one: back under the connections */
		r->parent = conn_region;
		r->next_sibling = conn_region->children;
		conn_region->children = r;
	}
	c = pool_alloc(r, sizeof *c);
	c->fd = fd;
	c->region = r;
	c->request = pool_create(r, BLOCK_SIZE / 2);
	c->in = pool_alloc(r, INBUF);
	c->inlen = 0;
#if REL >= 2
	c->requests = 0;
#endif
	conns[i] = c;
}

static void conn_close(int i)
{
	struct conn *c = conns[i];
	struct pool *r = c->region;

	close(c->fd);
	conns[i] = NULL;
	pool_reset(r); /* its request region and buffer go; blocks stay */
	if (nspare < MAX_CONNS) {
		pool_unlink(r);
		spare_regions[nspare++] = r;
	} else {
		pool_destroy(r);
	}
}

int main(int argc, char **argv)
{
	static int listener;
	struct pollfd pfd[MAX_CONNS + 2];
	int slot_of[MAX_CONNS + 2];

	if (argc != 2) {
		fprintf(stderr, "usage: regiond PORT-FILE\n");
		return 2;
	}
	if (!stf_is_updating()) {
		root = pool_create(NULL, BLOCK_SIZE);
		store_region = pool_create(root, BLOCK_SIZE);
		conn_region = pool_create(root, BLOCK_SIZE);
		listener = listen_loopback("regiond", SOCK_STREAM | SOCK_NONBLOCK, argv[1]);
	}
	for (;;) {
		int n = 0;

		stf_update_point();
		pfd[n].fd = listener;
		pfd[n].events = POLLIN;
		slot_of[n++] = -1;
		pfd[n].fd = stf_update_fd();
		pfd[n].events = POLLIN;
		slot_of[n++] = -2;
		for (int i = 0; i < MAX_CONNS; i++)
			if (conns[i]) {
				pfd[n].fd = conns[i]->fd;
				pfd[n].events = POLLIN;
				slot_of[n++] = i;
			}
		if (poll(pfd, (nfds_t)n, 1000) < 0) {
			if (errno == EINTR)
				continue;
			perror("poll");
			return 1;
		}
		for (int k = 0; k < n; k++) {
			if (!pfd[k].revents)
				continue;
			if (slot_of[k] == -1) {
				int fd = accept4(listener, NULL, NULL, SOCK_NONBLOCK);
				if (fd >= 0)
					conn_open(fd);
			} else if (slot_of[k] >= 0) {
				struct conn *c = conns[slot_of[k]];
				if (read_lines(c, c->in, &c->inlen, INBUF, command) < 0)
					conn_close(slot_of[k]);
			}
		}
	}
}
