/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * skipkv - a key-value server written as a stranger would (wave 9's
 * examiner): a generic skip list of `void *` items ordered by a comparator
 * given as a function pointer (the list never knows what an item is);
 * items are entries whose value is a `void *` that holds either an integer
 * ((void *)(intptr_t)n, when the entry's flag says so) or a counted string:
 * a 2-byte length prefix followed by the bytes, the pointer kept past the
 * prefix, in a block of a size-prefixing wrapper (xmalloc stores the size
 * in front of what it returns; declared STF_ALLOCATOR, as ttst(7) asks of
 * allocators handing out objects from inside their blocks: without it
 * the update rolls back naming xmalloc, t/xfer/hdrwrap).  The process title is rewritten in place
 * over argv, setproctitle-style (environ moved to the heap), and shows the
 * number of keys.  A poll() loop.
 *
 * Protocol: SET k v -> OK, GET k -> VALUE v | NONE, DEL k -> OK | NONE,
 * INCR k -> NUMBER n, TYPE k -> TYPE int|str|none, VERSION, VERIFY,
 * TITLE -> TITLE the-process-title.  REL 2: entries gain a read count
 * (before the value), HITS k -> HITS n.
 * Usage: skipkv PORT-FILE
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
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

#define MAX_LEVEL 12
#define MAX_CONNS 64

/* ---- the size-prefixing wrapper ---- */

static size_t bytes_used;

static void *xmalloc(size_t n) STF_ALLOCATOR; /* integration line */

static void *xmalloc(size_t n)
{
	size_t *p = malloc(sizeof(size_t) + n);
	if (!p) {
		fprintf(stderr, "skipkv: out of memory\n");
		abort();
	}
	*p = n;
	bytes_used += n;
	return p + 1;
}

static void xfree(void *ptr)
{
	if (!ptr)
		return;
	size_t *p = (size_t *)ptr - 1;
	bytes_used -= *p;
	free(p);
}

static size_t xsize(const void *ptr)
{
	return ((const size_t *)ptr)[-1];
}

/* ---- counted strings: 2-byte length, bytes, NUL; pointer past the length ---- */

typedef char *cstr;

static cstr cstr_new(const char *s, size_t len)
{
	unsigned char *p = xmalloc(2 + len + 1);
	p[0] = len & 0xff;
	p[1] = len >> 8;
	memcpy(p + 2, s, len);
	p[2 + len] = 0;
	return (cstr)(p + 2);
}

static size_t cstr_len(const cstr s)
{
	const unsigned char *p = (const unsigned char *)s - 2;
	return p[0] | (size_t)p[1] << 8;
}

static void cstr_free(cstr s)
{
	if (s)
		xfree(s - 2);
}

/* ---- a generic skip list of void * ---- */

struct sl_node {
	void *item;
	int level;
	struct sl_node *next[];
};

struct skiplist {
	int (*cmp)(const void *item, const void *key);
	struct sl_node *head;
	int level;
	size_t count;
};

static struct sl_node *sl_node_new(void *item, int level)
{
	struct sl_node *n = xmalloc(sizeof *n + level * sizeof n->next[0]);
	n->item = item;
	n->level = level;
	memset(n->next, 0, level * sizeof n->next[0]);
	return n;
}

static void sl_init(struct skiplist *sl, int (*cmp)(const void *, const void *))
{
	sl->cmp = cmp;
	sl->head = sl_node_new(NULL, MAX_LEVEL);
	sl->level = 1;
	sl->count = 0;
}

static int random_level(void)
{
	int l = 1;
	while (l < MAX_LEVEL && (random() & 3) == 0)
		l++;
	return l;
}

/* The node before where key goes, at every level, in update[]. */
static struct sl_node *sl_seek(struct skiplist *sl, const void *key, struct sl_node **update)
{
	struct sl_node *x = sl->head;
	for (int i = sl->level - 1; i >= 0; i--) {
		while (x->next[i] && sl->cmp(x->next[i]->item, key) < 0)
			x = x->next[i];
		if (update)
			update[i] = x;
	}
	return x->next[0];
}

static void *sl_find(struct skiplist *sl, const void *key)
{
	struct sl_node *n = sl_seek(sl, key, NULL);
	return n && sl->cmp(n->item, key) == 0 ? n->item : NULL;
}

static void sl_insert(struct skiplist *sl, void *item, const void *key)
{
	struct sl_node *update[MAX_LEVEL];
	sl_seek(sl, key, update);
	int level = random_level();
	if (level > sl->level) {
		for (int i = sl->level; i < level; i++)
			update[i] = sl->head;
		sl->level = level;
	}
	struct sl_node *n = sl_node_new(item, level);
	for (int i = 0; i < level; i++) {
		n->next[i] = update[i]->next[i];
		update[i]->next[i] = n;
	}
	sl->count++;
}

/* Unlinks the item of key; returns it (NULL if absent). */
static void *sl_remove(struct skiplist *sl, const void *key)
{
	struct sl_node *update[MAX_LEVEL];
	struct sl_node *n = sl_seek(sl, key, update);
	if (!n || sl->cmp(n->item, key) != 0)
		return NULL;
	for (int i = 0; i < n->level; i++)
		update[i]->next[i] = n->next[i];
	void *item = n->item;
	xfree(n);
	sl->count--;
	return item;
}

/* ---- the store ---- */

enum { E_STR, E_INT };

struct entry {
	cstr key;
	int kind;
#if REL >= 2
	unsigned long hits; /* new in 2 */
#endif
	void *value; /* E_INT: (void *)(intptr_t)n; E_STR: a cstr */
};

static int entry_cmp(const void *item, const void *key)
{
	const struct entry *e = item;
	return strcmp(e->key, key);
}

static struct skiplist store;
static unsigned long requests;

static int parse_int(const char *s, long *out)
{
	char *end;
	if (!*s || strlen(s) > 15)
		return 0;
	errno = 0;
	long n = strtol(s, &end, 10);
	if (*end || errno)
		return 0;
	*out = n;
	return 1;
}

static void entry_set_value(struct entry *e, const char *v)
{
	long n;
	if (e->kind == E_STR)
		cstr_free(e->value);
	if (parse_int(v, &n)) {
		e->kind = E_INT;
		e->value = (void *)(intptr_t)n;
	} else {
		e->kind = E_STR;
		e->value = cstr_new(v, strlen(v));
	}
}

static void entry_free(struct entry *e)
{
	if (e->kind == E_STR)
		cstr_free(e->value);
	cstr_free(e->key);
	xfree(e);
}

static struct entry *store_put(const char *k)
{
	struct entry *e = sl_find(&store, k);
	if (!e) {
		e = xmalloc(sizeof *e);
		memset(e, 0, sizeof *e);
		e->key = cstr_new(k, strlen(k));
		e->kind = E_INT;
		sl_insert(&store, e, k);
	}
	return e;
}

/* ---- the process title, over argv ---- */

extern char **environ;
static char *title_start, *title_end;

static void title_init(int argc, char **argv)
{
	char *end = argv[0] + strlen(argv[0]) + 1;
	for (int i = 1; i < argc; i++)
		if (argv[i] == end)
			end = argv[i] + strlen(argv[i]) + 1;
	int n = 0;
	while (environ[n])
		n++;
	char **env = xmalloc((n + 1) * sizeof *env);
	for (int i = 0; i < n; i++) {
		if (environ[i] == end)
			end = environ[i] + strlen(environ[i]) + 1;
		env[i] = strdup(environ[i]);
	}
	env[n] = NULL;
	environ = env;
	title_start = argv[0];
	title_end = end;
}

static void set_title(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	size_t room = title_end - title_start;
	int n = vsnprintf(title_start, room, fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n + 1 < room)
		memset(title_start + n + 1, 0, room - n - 1);
}

/* ---- connections ---- */

struct conn {
	int fd;
	size_t len;
	char in[4096];
};

static struct conn *conns[MAX_CONNS];
static int listen_fd = -1;

static const char *verify(char *buf, size_t size)
{
	size_t n = 0;
	const struct entry *prev = NULL;
	for (struct sl_node *x = store.head->next[0]; x; x = x->next[0], n++) {
		const struct entry *e = x->item;
		if (prev && strcmp(prev->key, e->key) >= 0)
			return snprintf(buf, size, "VERIFY bad order at %.60s", e->key), buf;
		if (cstr_len(e->key) != strlen(e->key))
			return snprintf(buf, size, "VERIFY bad key length %.60s", e->key), buf;
		if (e->kind == E_STR && cstr_len(e->value) != strlen(e->value))
			return snprintf(buf, size, "VERIFY bad value length %.60s", e->key), buf;
		if (xsize(x) != sizeof *x + x->level * sizeof x->next[0])
			return snprintf(buf, size, "VERIFY bad node size %.60s", e->key), buf;
		prev = e;
	}
	if (n != store.count)
		return snprintf(buf, size, "VERIFY bad count %zu/%zu", n, store.count), buf;
	int nc = 0;
	for (int i = 0; i < MAX_CONNS; i++)
		if (conns[i]) {
			if (conns[i]->fd < 0 || conns[i]->len >= sizeof conns[i]->in)
				return snprintf(buf, size, "VERIFY bad conn %d", i), buf;
			nc++;
		}
	snprintf(buf, size, "VERIFY ok keys=%zu conns=%d bytes=%zu", n, nc, bytes_used);
	return buf;
}

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
		if (w <= 0)
			return;
		off += w;
	}
}

static void command(struct conn *c, char *line)
{
	char *cmd = strtok(line, " "), *k = strtok(NULL, " "), *v = strtok(NULL, "");
	requests++;
	if (!cmd)
		return reply(c, "ERROR empty");
	if (!strcmp(cmd, "VERSION"))
		return reply(c, "VERSION skipkv %d", REL);
	if (!strcmp(cmd, "VERIFY")) {
		char buf[200];
		return reply(c, "%s", verify(buf, sizeof buf));
	}
	if (!strcmp(cmd, "TITLE"))
		return reply(c, "TITLE %s", title_start);
	if (!k)
		return reply(c, "ERROR no key");
	if (!strcmp(cmd, "SET") && v) {
		entry_set_value(store_put(k), v);
		set_title("skipkv: %zu keys", store.count);
		return reply(c, "OK");
	}
	struct entry *e = sl_find(&store, k);
	if (!strcmp(cmd, "GET")) {
		if (!e)
			return reply(c, "NONE");
#if REL >= 2
		e->hits++;
#endif
		if (e->kind == E_INT)
			return reply(c, "VALUE %ld", (long)(intptr_t)e->value);
		return reply(c, "VALUE %s", (char *)e->value);
	}
	if (!strcmp(cmd, "DEL")) {
		if (!e)
			return reply(c, "NONE");
		entry_free(sl_remove(&store, k));
		set_title("skipkv: %zu keys", store.count);
		return reply(c, "OK");
	}
	if (!strcmp(cmd, "TYPE"))
		return reply(c, "TYPE %s", !e ? "none" : e->kind == E_INT ? "int" : "str");
	if (!strcmp(cmd, "INCR")) {
		e = store_put(k);
		if (e->kind != E_INT)
			return reply(c, "ERROR not a number");
		e->value = (void *)((intptr_t)e->value + 1);
		return reply(c, "NUMBER %ld", (long)(intptr_t)e->value);
	}
#if REL >= 2
	if (!strcmp(cmd, "HITS"))
		return reply(c, "HITS %lu", e ? e->hits : 0);
#endif
	reply(c, "ERROR unknown command %s", cmd);
}

static void conn_close(int i)
{
	close(conns[i]->fd);
	xfree(conns[i]);
	conns[i] = NULL;
}

static void conn_readable(int i)
{
	struct conn *c = conns[i];
	ssize_t r = read(c->fd, c->in + c->len, sizeof c->in - 1 - c->len);
	if (r <= 0) {
		if (r < 0 && (errno == EINTR || errno == EAGAIN))
			return;
		return conn_close(i);
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
	if (c->len == sizeof c->in - 1)
		conn_close(i);
}

static void accept_one(void)
{
	int fd = accept(listen_fd, NULL, NULL);
	if (fd < 0)
		return;
	for (int i = 0; i < MAX_CONNS; i++)
		if (!conns[i]) {
			conns[i] = xmalloc(sizeof *conns[i]);
			conns[i]->fd = fd;
			conns[i]->len = 0;
			return;
		}
	close(fd);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: skipkv PORT-FILE\n");
		return 2;
	}
	title_init(argc, argv);
	if (!stf_is_updating()) {
		sl_init(&store, entry_cmp);
		struct sockaddr_in sa = { .sin_family = AF_INET,
					  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		socklen_t sl = sizeof sa;
		listen_fd = socket(AF_INET, SOCK_STREAM, 0);
		if (listen_fd < 0 || bind(listen_fd, (struct sockaddr *)&sa, sizeof sa) ||
		    listen(listen_fd, 64) || getsockname(listen_fd, (struct sockaddr *)&sa, &sl)) {
			perror("skipkv");
			return 1;
		}
		FILE *f = fopen(argv[1], "w");
		if (!f || fprintf(f, "%d\n", ntohs(sa.sin_port)) < 0 || fclose(f)) {
			perror(argv[1]);
			return 1;
		}
	}
	set_title("skipkv: %zu keys", store.count);
	for (;;) {
		struct pollfd pfd[MAX_CONNS + 2];
		int who[MAX_CONNS + 2], n = 0;
		pfd[n] = (struct pollfd){ .fd = listen_fd, .events = POLLIN };
		who[n++] = -1;
		pfd[n] = (struct pollfd){ .fd = stf_update_fd(), .events = POLLIN };
		who[n++] = -2;
		for (int i = 0; i < MAX_CONNS; i++)
			if (conns[i]) {
				pfd[n] = (struct pollfd){ .fd = conns[i]->fd, .events = POLLIN };
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
			else if (conns[who[j]])
				conn_readable(who[j]);
		}
	}
}
