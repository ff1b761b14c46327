/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * aprev - a threaded key-value server written as a stranger would (wave
 * 10's red team): APR's hash table of `void *` keys and values (entries
 * { next, hash, key, klen, val } recycled through the table's free list,
 * the bucket array replaced by one twice as large as it fills, the
 * iterator embedded in the table, APR-style) and libev with one loop per
 * thread: the main thread's default loop accepts and hands each
 * connection to one of two workers (a locked queue and an ev_async
 * embedded in the worker), each worker runs its own ev_loop_new() with
 * an ev_io embedded in each of its connections (`data` pointing back).
 * Values are records { length, bytes[] } behind `void *`.  A second table
 * of names is walked by SCAN through the table's own iterator, held across
 * requests (and updates).  The update points: the top of each thread's
 * loop (ev_run(EVRUN_ONCE)), every loop watching stf_update_fd().
 *
 * Protocol: SET k v -> OK, GET k -> VALUE v | NONE, DEL k -> OK | NONE,
 * VERSION, VERIFY, NAME n v -> OK (into the names), SCAN -> NAME n v
 * (the next name, END after the last, then from the first again).
 * REL 2: records gain a version number, struct conn a member before its
 * watcher, struct worker one before its ev_async; REVS k -> REVS n.
 * Usage: aprev PORT-FILE
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stf.h>

#ifndef REL
#define REL 1
#endif

#define NWORKERS 2
#define HASH_KEY_STRING (-1)

/* ---- APR's hash table ---- */

typedef struct hash_entry_t hash_entry_t;
struct hash_entry_t {
	hash_entry_t *next;
	unsigned int hash;
	const void *key;
	ssize_t klen;
	const void *val;
};

typedef struct hash_t hash_t;
typedef struct hash_index_t {
	hash_t *ht;
	hash_entry_t *this, *next;
	unsigned int index;
} hash_index_t;

struct hash_t {
	hash_entry_t **array;
	hash_index_t iterator; /* for hash_first(NULL, ...) */
	unsigned int count, max;
	hash_entry_t *free; /* entries given back, reused */
};

static hash_t *hash_make(void)
{
	hash_t *ht = calloc(1, sizeof *ht);
	ht->max = 15;
	ht->array = calloc(ht->max + 1, sizeof *ht->array);
	return ht;
}

static hash_index_t *hash_next(hash_index_t *hi)
{
	hi->this = hi->next;
	while (!hi->this) {
		if (hi->index > hi->ht->max)
			return NULL;
		hi->this = hi->ht->array[hi->index++];
	}
	hi->next = hi->this->next;
	return hi;
}

static hash_index_t *hash_first(hash_t *ht)
{
	hash_index_t *hi = &ht->iterator;
	hi->ht = ht;
	hi->index = 0;
	hi->this = NULL;
	hi->next = NULL;
	return hash_next(hi);
}

static void expand_array(hash_t *ht)
{
	unsigned int new_max = ht->max * 2 + 1;
	hash_entry_t **new_array = calloc(new_max + 1, sizeof *new_array);
	for (unsigned int i = 0; i <= ht->max; i++)
		for (hash_entry_t *e = ht->array[i], *next; e; e = next) {
			next = e->next;
			e->next = new_array[e->hash & new_max];
			new_array[e->hash & new_max] = e;
		}
	free(ht->array);
	ht->array = new_array;
	ht->max = new_max;
}

static unsigned int hashfunc(const char *key, ssize_t *klen)
{
	unsigned int h = 0;
	const unsigned char *p = (const unsigned char *)key;
	if (*klen == HASH_KEY_STRING) {
		for (; *p; p++)
			h = h * 33 + *p;
		*klen = p - (const unsigned char *)key;
	} else {
		for (ssize_t i = 0; i < *klen; i++)
			h = h * 33 + p[i];
	}
	return h;
}

/* The link to key's entry; with val, one made for it if there is none. */
static hash_entry_t **find_entry(hash_t *ht, const void *key, ssize_t klen, const void *val)
{
	unsigned int h = hashfunc(key, &klen);
	hash_entry_t **hep, *he;
	for (hep = &ht->array[h & ht->max]; (he = *hep); hep = &he->next)
		if (he->hash == h && he->klen == klen && !memcmp(he->key, key, klen))
			return hep;
	if (!val)
		return hep;
	if ((he = ht->free))
		ht->free = he->next;
	else
		he = malloc(sizeof *he);
	he->next = NULL;
	he->hash = h;
	he->key = key;
	he->klen = klen;
	he->val = val;
	*hep = he;
	ht->count++;
	return hep;
}

static void *hash_get(hash_t *ht, const void *key)
{
	hash_entry_t *he = *find_entry(ht, key, HASH_KEY_STRING, NULL);
	return he ? (void *)he->val : NULL;
}

/* hash_set(ht, key, NULL) deletes and returns the key the entry had (the
 * entry keeps pointing to it on the free list); otherwise NULL. */
static const void *hash_set(hash_t *ht, const void *key, const void *val)
{
	hash_entry_t **hep = find_entry(ht, key, HASH_KEY_STRING, val), *old = *hep;
	if (!old)
		return NULL;
	if (!val) {
		*hep = old->next;
		old->next = ht->free;
		ht->free = old;
		ht->count--;
		return old->key;
	}
	old->val = val;
	if (ht->count > ht->max)
		expand_array(ht);
	return NULL;
}

/* ---- the store: records behind void *, one lock ---- */

struct record {
	size_t len;
#if REL >= 2
	unsigned long revision; /* new in 2 */
#endif
	char bytes[];
};

static pthread_mutex_t store_lock = PTHREAD_MUTEX_INITIALIZER;
static hash_t *store, *names;
static hash_index_t *scan; /* into names, held across requests */

static struct record *record_new(const char *v)
{
	size_t len = strlen(v);
	struct record *r = malloc(sizeof *r + len + 1);
	r->len = len;
	memcpy(r->bytes, v, len + 1);
	return r;
}

/* ---- workers and connections ---- */

struct worker {
	int id;
	struct ev_loop *loop;
	pthread_t thread;
#if REL >= 2
	unsigned long handed; /* new in 2 */
#endif
	ev_async wake;   /* a connection was queued */
	ev_io update_w;  /* stf_update_fd(): wakes the loop */
	pthread_mutex_t lock;
	int queue[64], nqueued;
	unsigned long served;
};

struct conn {
	int fd;
#if REL >= 2
	unsigned long requests; /* new in 2 */
#endif
	ev_io io; /* data: the conn */
	struct worker *worker;
	size_t len;
	char in[4096];
};

static struct worker workers[NWORKERS];
static struct ev_loop *main_loop;
static ev_io accept_w, main_update_w;
static int next_worker;

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
		if (w < 0 && errno == EAGAIN)
			continue; /* replies are short: the socket drains */
		if (w <= 0)
			return;
		off += w;
	}
}

static void verify(struct conn *c)
{
	unsigned int n = 0, nfree = 0;
	for (hash_index_t hi = { store, NULL, NULL, 0 }, *p = hash_next(&hi); p; p = hash_next(p), n++) {
		const struct record *r = p->this->val;
		if (r->len != strlen(r->bytes) || (unsigned)p->this->klen != strlen(p->this->key) ||
		    *find_entry(store, p->this->key, HASH_KEY_STRING, NULL) != p->this)
			return reply(c, "VERIFY bad entry %.60s", (const char *)p->this->key);
	}
	for (hash_entry_t *e = store->free; e; e = e->next)
		nfree++;
	if (n != store->count || store->count > store->max + 1)
		return reply(c, "VERIFY bad count %u/%u", n, store->count);
	if (scan && (scan != &names->iterator || scan->ht != names))
		return reply(c, "VERIFY bad scan");
	reply(c, "VERIFY ok keys=%u free=%u buckets=%u served=%lu+%lu", n, nfree, store->max + 1,
	      workers[0].served, workers[1].served);
}

static void command(struct conn *c, char *line)
{
	char *save, *cmd = strtok_r(line, " ", &save), *k = strtok_r(NULL, " ", &save);
	char *v = strtok_r(NULL, "", &save);
	struct record *r;
#if REL >= 2
	c->requests++;
#endif
	if (!cmd)
		return reply(c, "ERROR empty");
	if (!strcmp(cmd, "VERSION"))
		return reply(c, "VERSION aprev %d", REL);
	pthread_mutex_lock(&store_lock);
	c->worker->served++;
	if (!strcmp(cmd, "VERIFY")) {
		verify(c);
	} else if (!strcmp(cmd, "SCAN")) {
		scan = scan ? hash_next(scan) : hash_first(names);
		if (scan)
			reply(c, "NAME %s %s", (const char *)scan->this->key,
			      ((const struct record *)scan->this->val)->bytes);
		else
			reply(c, "END");
	} else if (!k) {
		reply(c, "ERROR no key");
	} else if ((!strcmp(cmd, "SET") || !strcmp(cmd, "NAME")) && v) {
		hash_t *ht = cmd[0] == 'S' ? store : names;
		struct record *old = hash_get(ht, k);
		char *key = old ? NULL : strdup(k);
		r = record_new(v);
#if REL >= 2
		r->revision = old ? old->revision + 1 : 1;
#endif
		hash_set(ht, key ? key : k, r);
		free(old);
		reply(c, "OK");
	} else if (!strcmp(cmd, "GET")) {
		r = hash_get(store, k);
		if (r)
			reply(c, "VALUE %s", r->bytes);
		else
			reply(c, "NONE");
	} else if (!strcmp(cmd, "DEL")) {
		r = hash_get(store, k);
		if (r) {
			free((void *)hash_set(store, k, NULL));
			free(r);
		}
		reply(c, r ? "OK" : "NONE");
#if REL >= 2
	} else if (!strcmp(cmd, "REVS")) {
		r = hash_get(store, k);
		reply(c, "REVS %lu", r ? r->revision : 0);
#endif
	} else {
		reply(c, "ERROR unknown command %s", cmd);
	}
	pthread_mutex_unlock(&store_lock);
}

static void on_readable(struct ev_loop *loop, ev_io *w, int revents)
{
	struct conn *c = w->data;
	(void)revents;
	ssize_t r = read(c->fd, c->in + c->len, sizeof c->in - 1 - c->len);
	if (r <= 0) {
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			return;
		ev_io_stop(loop, w);
		close(c->fd);
		free(c);
		return;
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
}

/* The worker's ev_async: take the queued connections. */
static void on_wake(struct ev_loop *loop, ev_async *a, int revents)
{
	struct worker *w = a->data;
	(void)revents;
	pthread_mutex_lock(&w->lock);
	for (int i = 0; i < w->nqueued; i++) {
		struct conn *c = calloc(1, sizeof *c);
		c->fd = w->queue[i];
		c->worker = w;
		ev_io_init(&c->io, on_readable, c->fd, EV_READ);
		c->io.data = c;
		ev_io_start(loop, &c->io);
	}
	w->nqueued = 0;
	pthread_mutex_unlock(&w->lock);
}

static void on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop, (void)revents;
	int fd = accept(w->fd, NULL, NULL);
	if (fd < 0)
		return;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	struct worker *wk = &workers[next_worker++ % NWORKERS];
	pthread_mutex_lock(&wk->lock);
	if (wk->nqueued < 64) {
		wk->queue[wk->nqueued++] = fd;
#if REL >= 2
		wk->handed++;
#endif
	} else {
		close(fd);
	}
	pthread_mutex_unlock(&wk->lock);
	ev_async_send(wk->loop, &wk->wake);
}

/* stf_update_fd() is readable: only wakes the loop watching it. */
static void on_update(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop, (void)w, (void)revents;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	for (;;) {
		stf_update_point();
		ev_run(w->loop, EVRUN_ONCE);
	}
	return NULL;
}

static void start(const char *port_file)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof sa;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	FILE *f;

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) || listen(fd, 128) ||
	    getsockname(fd, (struct sockaddr *)&sa, &len)) {
		perror("aprev: listen");
		exit(1);
	}
	store = hash_make();
	names = hash_make();
	main_loop = ev_default_loop(0);
	ev_io_init(&accept_w, on_accept, fd, EV_READ);
	ev_io_start(main_loop, &accept_w);
	ev_io_init(&main_update_w, on_update, stf_update_fd(), EV_READ);
	ev_io_start(main_loop, &main_update_w);
	for (int i = 0; i < NWORKERS; i++) {
		struct worker *w = &workers[i];
		w->id = i;
		w->loop = ev_loop_new(EVFLAG_AUTO);
		pthread_mutex_init(&w->lock, NULL);
		ev_async_init(&w->wake, on_wake);
		w->wake.data = w;
		ev_async_start(w->loop, &w->wake);
		ev_io_init(&w->update_w, on_update, stf_update_fd(), EV_READ);
		ev_io_start(w->loop, &w->update_w);
		if (pthread_create(&w->thread, NULL, worker_main, w)) {
			fprintf(stderr, "aprev: cannot start worker %d\n", i);
			exit(1);
		}
	}
	f = fopen(port_file, "w");
	if (!f || fprintf(f, "%d\n", ntohs(sa.sin_port)) < 0 || fclose(f)) {
		perror(port_file);
		exit(1);
	}
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: aprev PORT-FILE\n");
		return 2;
	}
	if (!stf_is_updating())
		start(argv[1]);
	for (;;) {
		stf_update_point();
		ev_run(main_loop, EVRUN_ONCE);
	}
}
