/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * chunkq - a key-value server with lighttpd's buffers and chunk queues,
 * written as a stranger would (wave 10's red team).  A `buffer` is
 * { ptr, used, size } grown by realloc; chunks and their buffers are
 * recycled through a free list, so a reused chunk's buffer keeps the
 * capacity realloc gave it.  Each connection reads into one buffer and
 * keeps `rpos`, a pointer into its middle (or one past the data), where
 * the next request starts; replies are queued as chunks and written when
 * the socket is writable, from each chunk's offset.  Each item keeps its
 * key and value in one buffer ("key\0value") and points at the value in
 * its middle.  Requests are dispatched through a mutable table of
 * handlers, each with a `void *` argument (the store, a version text, an
 * integer mode) and a call counter; release 2 inserts APPEND in the
 * middle of the table and a member in the middle of struct item.  A
 * poll() loop.
 *
 * Protocol: SET k v -> OK, GET k -> VALUE v | NONE, DEL k -> OK | NONE,
 * VERSION, VERIFY, CALLS -> CALLS name=n...; REL 2: APPEND k v -> OK.
 * Usage: chunkq PORT-FILE
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdarg.h>
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
#define TEXT_OF(x) #x
#define TEXT(x) TEXT_OF(x)
#define REL_TEXT TEXT(REL)
#define NBUCKETS 1024

/* ---- buffers and chunk queues ---- */

typedef struct {
	char *ptr;
	size_t used; /* bytes of data */
	size_t size; /* bytes allocated */
} buffer;

typedef struct chunk {
	struct chunk *next;
	buffer *mem;
	size_t offset; /* bytes of mem already written */
} chunk;

typedef struct {
	chunk *first, *last;
	size_t bytes_in, bytes_out;
} chunkqueue;

static chunk *chunks_unused;
static size_t chunks_unused_n, chunks_live;

static buffer *buffer_init(void)
{
	return calloc(1, sizeof(buffer));
}

/* Room for n more bytes (and a terminator); returns where they go. */
static char *buffer_prepare_append(buffer *b, size_t n)
{
	if (b->used + n + 1 > b->size) {
		size_t size = b->size ? b->size : 64;
		while (size < b->used + n + 1)
			size *= 2;
		b->ptr = realloc(b->ptr, size);
		b->size = size;
	}
	return b->ptr + b->used;
}

static void buffer_append(buffer *b, const char *s, size_t n)
{
	memcpy(buffer_prepare_append(b, n), s, n);
	b->used += n;
	b->ptr[b->used] = 0;
}

static chunk *chunk_get(void)
{
	chunk *c = chunks_unused;
	if (c) {
		chunks_unused = c->next;
		chunks_unused_n--;
		c->mem->used = 0; /* keeps its capacity */
	} else {
		c = calloc(1, sizeof *c);
		c->mem = buffer_init();
	}
	c->next = NULL;
	c->offset = 0;
	chunks_live++;
	return c;
}

static void chunk_release(chunk *c)
{
	c->next = chunks_unused;
	chunks_unused = c;
	chunks_unused_n++;
	chunks_live--;
}

static void chunkqueue_append(chunkqueue *cq, const char *s, size_t n)
{
	chunk *c = cq->last;
	if (!c || c->mem->used + n > 1024) {
		c = chunk_get();
		if (cq->last)
			cq->last->next = c;
		else
			cq->first = c;
		cq->last = c;
	}
	buffer_append(c->mem, s, n);
	cq->bytes_in += n;
}

/* Writes what it can; -1 when the peer is gone. */
static int chunkqueue_write(chunkqueue *cq, int fd)
{
	chunk *c;
	while ((c = cq->first)) {
		ssize_t w = write(fd, c->mem->ptr + c->offset, c->mem->used - c->offset);
		if (w < 0)
			return errno == EAGAIN || errno == EINTR ? 0 : -1;
		c->offset += w;
		cq->bytes_out += w;
		if (c->offset < c->mem->used)
			return 0;
		cq->first = c->next;
		if (!cq->first)
			cq->last = NULL;
		chunk_release(c);
	}
	return 0;
}

/* ---- the store: key and value in one buffer, the value in its middle ---- */

struct item {
	struct item *next;
	buffer *kv; /* "key\0value\0" */
#if REL >= 2
	unsigned long appends; /* new in 2 */
#endif
	char *val; /* into kv */
	size_t vlen;
};

struct store {
	struct item *buckets[NBUCKETS];
	size_t count;
};

static struct store store;

static struct item **store_link(struct store *s, const char *key)
{
	unsigned h = 5381;
	for (const char *p = key; *p; p++)
		h = h * 33 + (unsigned char)*p;
	struct item **link = &s->buckets[h % NBUCKETS];
	while (*link && strcmp((*link)->kv->ptr, key))
		link = &(*link)->next;
	return link;
}

static void item_set(struct item *it, const char *key, const char *v, int append)
{
	size_t klen = strlen(key);
	if (!append) {
		it->kv->used = 0;
		buffer_append(it->kv, key, klen + 1);
	}
	buffer_append(it->kv, v, strlen(v)); /* may move kv->ptr */
	it->val = it->kv->ptr + klen + 1;
	it->vlen = it->kv->used - klen - 1;
}

/* ---- connections ---- */

struct conn {
	int fd;
	buffer *rbuf;
	char *rpos; /* into rbuf: the next request */
	chunkqueue wq;
	unsigned long requests;
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
	chunkqueue_append(&c->wq, out, n);
}

/* ---- the handler table ---- */

typedef void handler_fn(struct conn *c, char *k, char *v, void *arg);

struct handler {
	const char *name;
	handler_fn *fn;
	void *arg;
	int needs; /* arguments it needs: 0, 1 key, 2 key and value */
	unsigned long calls;
};

static handler_fn h_set, h_get, h_del, h_version, h_verify, h_calls;
#if REL >= 2
static handler_fn h_append;
#endif

static struct handler handlers[] = {
	{ "SET", h_set, &store, 2, 0 },
	{ "GET", h_get, &store, 1, 0 },
#if REL >= 2
	{ "APPEND", h_append, &store, 2, 0 },
#endif
	{ "DEL", h_del, &store, 1, 0 },
	{ "VERSION", h_version, "VERSION chunkq " REL_TEXT, 0, 0 },
	{ "VERIFY", h_verify, &store, 0, 0 },
	{ "CALLS", h_calls, (void *)(intptr_t)'=', 0, 0 }, /* the separator */
};

static void h_set(struct conn *c, char *k, char *v, void *arg)
{
	struct item **link = store_link(arg, k);
	if (!*link) {
		*link = calloc(1, sizeof **link);
		(*link)->kv = buffer_init();
		((struct store *)arg)->count++;
	}
	item_set(*link, k, v, 0);
	reply(c, "OK");
}

#if REL >= 2
static void h_append(struct conn *c, char *k, char *v, void *arg)
{
	struct item **link = store_link(arg, k);
	if (!*link)
		return h_set(c, k, v, arg);
	item_set(*link, k, v, 1);
	(*link)->appends++;
	reply(c, "OK");
}
#endif

static void h_get(struct conn *c, char *k, char *v, void *arg)
{
	struct item *it = *store_link(arg, k);
	(void)v;
	if (!it)
		return reply(c, "NONE");
	reply(c, "VALUE %s", it->val);
}

static void h_del(struct conn *c, char *k, char *v, void *arg)
{
	struct item **link = store_link(arg, k), *it = *link;
	(void)v;
	if (!it)
		return reply(c, "NONE");
	*link = it->next;
	free(it->kv->ptr);
	free(it->kv);
	free(it);
	((struct store *)arg)->count--;
	reply(c, "OK");
}

static void h_version(struct conn *c, char *k, char *v, void *arg)
{
	(void)k, (void)v;
	reply(c, "%s", (const char *)arg);
}

static void h_calls(struct conn *c, char *k, char *v, void *arg)
{
	char out[512];
	size_t n = 0;
	int sep = (int)(intptr_t)arg;
	(void)k, (void)v;
	for (size_t i = 0; i < sizeof handlers / sizeof handlers[0] && n < sizeof out; i++)
		n += snprintf(out + n, sizeof out - n, " %s%c%lu", handlers[i].name, sep,
			      handlers[i].calls);
	reply(c, "CALLS%s", out);
}

static void h_verify(struct conn *c, char *k, char *v, void *arg)
{
	struct store *s = arg;
	size_t n = 0, free_chunks = 0;
	(void)k, (void)v;
	for (int b = 0; b < NBUCKETS; b++)
		for (struct item *it = s->buckets[b]; it; it = it->next, n++) {
			size_t klen = strlen(it->kv->ptr);
			if (*store_link(s, it->kv->ptr) != it || it->val != it->kv->ptr + klen + 1 ||
			    it->vlen != strlen(it->val) || it->kv->used != klen + 1 + it->vlen ||
			    it->kv->size <= it->kv->used)
				return reply(c, "VERIFY bad item %.60s", it->kv->ptr);
		}
	for (chunk *ch = chunks_unused; ch; ch = ch->next)
		if (++free_chunks > chunks_unused_n || (ch->mem->size && !ch->mem->ptr))
			return reply(c, "VERIFY bad free chunks");
	int nc = 0;
	for (int i = 0; i < MAX_CONNS; i++) {
		struct conn *cn = conns[i];
		if (!cn)
			continue;
		nc++;
		if (cn->rpos < cn->rbuf->ptr || cn->rpos > cn->rbuf->ptr + cn->rbuf->used ||
		    cn->rbuf->used >= cn->rbuf->size)
			return reply(c, "VERIFY bad conn %d", i);
	}
	unsigned long calls = 0, requests = 0;
	for (size_t i = 0; i < sizeof handlers / sizeof handlers[0]; i++)
		calls += handlers[i].calls;
	for (int i = 0; i < MAX_CONNS; i++)
		if (conns[i])
			requests += conns[i]->requests;
	if (n != s->count || free_chunks != chunks_unused_n)
		return reply(c, "VERIFY bad census %zu/%zu %zu/%zu", n, s->count, free_chunks,
			     chunks_unused_n);
	reply(c, "VERIFY ok keys=%zu conns=%d chunks=%zu+%zu calls=%lu", n, nc, chunks_live,
	      chunks_unused_n, calls);
}

static void command(struct conn *c, char *line)
{
	char *cmd = strtok(line, " "), *k = strtok(NULL, " "), *v = strtok(NULL, "");
	c->requests++;
	if (!cmd)
		return reply(c, "ERROR empty");
	for (size_t i = 0; i < sizeof handlers / sizeof handlers[0]; i++) {
		struct handler *h = &handlers[i];
		if (strcmp(cmd, h->name))
			continue;
		if ((h->needs >= 1 && !k) || (h->needs >= 2 && !v))
			return reply(c, "ERROR %s needs %d arguments", h->name, h->needs);
		h->calls++;
		return h->fn(c, k, v, h->arg);
	}
	reply(c, "ERROR unknown command %s", cmd);
}

static void conn_close(int i)
{
	struct conn *c = conns[i];
	close(c->fd);
	for (chunk *ch = c->wq.first, *next; ch; ch = next) {
		next = ch->next;
		chunk_release(ch);
	}
	free(c->rbuf->ptr);
	free(c->rbuf);
	free(c);
	conns[i] = NULL;
}

static void conn_readable(int i)
{
	struct conn *c = conns[i];
	buffer *b = c->rbuf;
	if (c->rpos > b->ptr + b->size / 2) { /* move what is left to the front */
		size_t left = b->ptr + b->used - c->rpos;
		memmove(b->ptr, c->rpos, left);
		b->used = left;
		c->rpos = b->ptr;
	}
	size_t off = c->rpos - b->ptr;
	char *to = buffer_prepare_append(b, 1024); /* may move b->ptr */
	c->rpos = b->ptr + off;
	ssize_t r = read(c->fd, to, b->size - b->used - 1);
	if (r <= 0) {
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			return;
		return conn_close(i);
	}
	b->used += r;
	b->ptr[b->used] = 0;
	char *nl;
	while ((nl = memchr(c->rpos, '\n', b->ptr + b->used - c->rpos))) {
		char *line = c->rpos;
		*nl = 0;
		if (nl > line && nl[-1] == '\r')
			nl[-1] = 0;
		c->rpos = nl + 1;
		command(c, line);
	}
	if (b->used > 65536)
		return conn_close(i);
	if (chunkqueue_write(&c->wq, c->fd) < 0)
		conn_close(i);
}

static void accept_one(void)
{
	int fd = accept(listen_fd, NULL, NULL);
	if (fd < 0)
		return;
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	for (int i = 0; i < MAX_CONNS; i++)
		if (!conns[i]) {
			struct conn *c = calloc(1, sizeof *c);
			c->fd = fd;
			c->rbuf = buffer_init();
			buffer_prepare_append(c->rbuf, 0);
			c->rpos = c->rbuf->ptr;
			conns[i] = c;
			return;
		}
	close(fd);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: chunkq PORT-FILE\n");
		return 2;
	}
	if (!stf_is_updating()) {
		struct sockaddr_in sa = { .sin_family = AF_INET,
					  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		socklen_t sl = sizeof sa;
		listen_fd = socket(AF_INET, SOCK_STREAM, 0);
		if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&sa, sizeof sa) ||
		    listen(listen_fd, 64) || getsockname(listen_fd, (struct sockaddr *)&sa, &sl)) {
			perror("chunkq");
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
				short ev = POLLIN | (conns[i]->wq.first ? POLLOUT : 0);
				pfd[n] = (struct pollfd){ .fd = conns[i]->fd, .events = ev };
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
			else if (!conns[who[j]])
				continue;
			else if (pfd[j].revents & (POLLIN | POLLHUP | POLLERR))
				conn_readable(who[j]);
			else if (chunkqueue_write(&conns[who[j]]->wq, conns[who[j]]->fd) < 0)
				conn_close(who[j]);
		}
	}
}
