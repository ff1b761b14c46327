/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * hdrkv - a sorted key-value server over poll(), written as an outside C
 * programmer writes one (wave 14's hunt).  All its memory goes through a
 * size-prefixing wrapper: 16 bytes of header (a magic number, flags, the
 * size) before the pointer it returns, realloc through the header,
 * strings built with a growing buffer on top of it.  The store is a
 * sorted array of item pointers grown by xrealloc, its capacity beyond
 * its length never initialised; connections sit in a fixed array whose
 * closed slots keep the freed connection's pointer (an `in use` flag
 * beside says which are live); an item's hit count is an integer in a
 * `void *` member and its value is raw bytes behind a `void *`.  The
 * update point is at the top of the poll loop, stf_update_fd() in the
 * poll set.
 *
 * Protocol: SET k v -> OK, GET k -> VALUE v | NONE, DEL k -> OK | NONE,
 * APPEND k v -> OK n (the new length), HITS k -> HITS n | NONE, VERSION,
 * VERIFY.  REL 2: struct item grows (a member before the key, one at the
 * end), struct conn grows, the limits gain a member set by the startup;
 * LEN k -> LEN n | NONE.
 * Usage: hdrkv PORT-FILE
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

#define MAXCONN 64
#define MEM_MAGIC 0x6d656d21u
#define MEM_DEAD 0xdeadbeefu

/* ---- the wrapper ---- */

struct mhdr {
	uint32_t magic;
	uint32_t flags;
	uint64_t size;
};

static size_t mem_in_use, mem_blocks;

STF_ALLOCATOR void *xmalloc(size_t n);
STF_ALLOCATOR void *xrealloc(void *p, size_t n);
STF_ALLOCATOR char *xstrndup(const char *s, size_t n);

void *xmalloc(size_t n)
{
	struct mhdr *h = malloc(sizeof *h + n);

	if (!h) {
		fprintf(stderr, "hdrkv: out of memory\n");
		abort();
	}
	h->magic = MEM_MAGIC;
	h->flags = 0;
	h->size = n;
	mem_in_use += n;
	mem_blocks++;
	return h + 1;
}

static struct mhdr *header(void *p)
{
	struct mhdr *h = (struct mhdr *)p - 1;

	if (h->magic != MEM_MAGIC) {
		fprintf(stderr, "hdrkv: bad block %p\n", p);
		abort();
	}
	return h;
}

void xfree(void *p)
{
	struct mhdr *h;

	if (!p)
		return;
	h = header(p);
	mem_in_use -= h->size;
	mem_blocks--;
	h->magic = MEM_DEAD;
	free(h);
}

void *xrealloc(void *p, size_t n)
{
	struct mhdr *h;

	if (!p)
		return xmalloc(n);
	h = header(p);
	mem_in_use -= h->size;
	h = realloc(h, sizeof *h + n);
	if (!h)
		abort();
	h->size = n;
	mem_in_use += n;
	return h + 1;
}

char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = 0;
	return p;
}

/* a string built by appending */
struct sbuf {
	char *s;
	size_t len, cap;
};

static void sb_add(struct sbuf *b, const void *data, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->s = xrealloc(b->s, b->cap);
	}
	memcpy(b->s + b->len, data, n);
	b->len += n;
	b->s[b->len] = 0;
}

static void sb_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	sb_add(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* ---- the store ---- */

struct item {
#if REL >= 2
	unsigned gen;
#endif
	char *key;
	void *val;      /* the value's bytes, vlen of them */
	size_t vlen;
	void *hits;     /* a count */
#if REL >= 2
	unsigned long touched;
#endif
};

static struct item **items; /* sorted by key; items[nitems..capitems) never set */
static size_t nitems, capitems;

static size_t find(const char *key, int *found)
{
	size_t lo = 0, hi = nitems, mid;
	int c;

	while (lo < hi) {
		mid = (lo + hi) / 2;
		c = strcmp(items[mid]->key, key);
		if (!c) {
			*found = 1;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = 0;
	return lo;
}

/* ---- connections ---- */

struct conn {
	int fd;
#if REL >= 2
	int served_by;
#endif
	struct sbuf in;
	struct sbuf out;
	unsigned long requests;
#if REL >= 2
	unsigned long bytes;
#endif
};

struct limits {
	size_t maxline;
	size_t maxval;
#if REL >= 2
	size_t lenbase;
#endif
};

static struct conn *conns[MAXCONN]; /* closed slots keep the freed pointer */
static char inuse[MAXCONN];
static int listen_fd = -1;
static struct limits lim;

static void cmd(struct conn *c, char *line)
{
	char *av[3] = { 0 }, *p = line;
	int ac = 0, found;
	size_t i;
	struct item *it;

	while (ac < 3 && (av[ac] = strsep(&p, " ")))
		if (*av[ac])
			ac++;
	if (!ac) {
		sb_printf(&c->out, "ERROR empty\n");
		return;
	}
	if (!strcmp(av[0], "VERSION")) {
		sb_printf(&c->out, "VERSION hdrkv %d\n", REL);
		return;
	}
	if (!strcmp(av[0], "VERIFY")) {
		/* the totals from the headers: a struct grown by an update keeps
		 * the size it was allocated with in its header (ttst(7)) */
		size_t bytes = 0, blocks = 0;
		int live = 0, k;
		for (i = 0; i < nitems; i++) {
			it = items[i];
			if ((i && strcmp(items[i - 1]->key, it->key) >= 0) ||
			    header(it->key)->size != strlen(it->key) + 1 ||
			    header(it->val)->size < it->vlen || (intptr_t)it->hits < 0) {
				sb_printf(&c->out, "VERIFY bad item %zu\n", i);
				return;
			}
			bytes += header(it)->size + header(it->key)->size + header(it->val)->size;
			blocks += 3;
		}
		for (k = 0; k < MAXCONN; k++)
			if (inuse[k]) {
				struct conn *o = conns[k];
				live++;
				bytes += header(o)->size + header(o->in.s)->size + header(o->out.s)->size;
				blocks += 3;
				if (header(o->in.s)->size != o->in.cap || o->out.cap != header(o->out.s)->size) {
					sb_printf(&c->out, "VERIFY bad conn %d\n", k);
					return;
				}
			}
		if (items) {
			bytes += header(items)->size;
			blocks++;
			if (header(items)->size != capitems * sizeof *items) {
				sb_printf(&c->out, "VERIFY bad array\n");
				return;
			}
		}
		if (bytes != mem_in_use || blocks != mem_blocks || lim.maxline != 4096
#if REL >= 2
		    || lim.lenbase != 1000
#endif
		) {
			sb_printf(&c->out, "VERIFY bad memory %zu/%zu bytes %zu/%zu blocks\n", bytes,
				  mem_in_use, blocks, mem_blocks);
			return;
		}
		sb_printf(&c->out, "VERIFY ok items=%zu conns=%d blocks=%zu\n", nitems, live, blocks);
		return;
	}
	if (ac < 2) {
		sb_printf(&c->out, "ERROR args\n");
		return;
	}
	i = find(av[1], &found);
	it = found ? items[i] : NULL;
	if (!strcmp(av[0], "SET") && ac == 3) {
		size_t n = strlen(av[2]);
		if (n > lim.maxval) {
			sb_printf(&c->out, "ERROR too big\n");
			return;
		}
		if (!it) {
			if (nitems == capitems) {
				capitems = capitems ? capitems * 2 : 16;
				items = xrealloc(items, capitems * sizeof *items);
			}
			memmove(items + i + 1, items + i, (nitems - i) * sizeof *items);
			it = xmalloc(sizeof *it);
			memset(it, 0, sizeof *it);
			it->key = xstrndup(av[1], strlen(av[1]));
			items[i] = it;
			nitems++;
		} else {
			xfree(it->val);
		}
		it->val = xmalloc(n ? n : 1);
		memcpy(it->val, av[2], n);
		it->vlen = n;
		sb_printf(&c->out, "OK\n");
	} else if (!strcmp(av[0], "APPEND") && ac == 3) {
		size_t n = strlen(av[2]);
		if (!it) {
			sb_printf(&c->out, "NONE\n");
			return;
		}
		it->val = xrealloc(it->val, it->vlen + n);
		memcpy((char *)it->val + it->vlen, av[2], n);
		it->vlen += n;
		sb_printf(&c->out, "OK %zu\n", it->vlen);
	} else if (!it) {
		sb_printf(&c->out, "NONE\n");
	} else if (!strcmp(av[0], "GET")) {
		it->hits = (void *)((intptr_t)it->hits + 1);
#if REL >= 2
		it->touched++;
#endif
		sb_add(&c->out, "VALUE ", 6);
		sb_add(&c->out, it->val, it->vlen);
		sb_add(&c->out, "\n", 1);
	} else if (!strcmp(av[0], "HITS")) {
		sb_printf(&c->out, "HITS %ld\n", (long)(intptr_t)it->hits);
#if REL >= 2
	} else if (!strcmp(av[0], "LEN")) {
		sb_printf(&c->out, "LEN %zu\n", lim.lenbase + it->vlen);
#endif
	} else if (!strcmp(av[0], "DEL")) {
		xfree(it->key);
		xfree(it->val);
		xfree(it);
		memmove(items + i, items + i + 1, (nitems - i - 1) * sizeof *items);
		nitems--; /* items[nitems] keeps the pointer just freed */
		sb_printf(&c->out, "OK\n");
	} else {
		sb_printf(&c->out, "ERROR unknown\n");
	}
}

static void conn_close(int k)
{
	struct conn *c = conns[k];

	close(c->fd);
	xfree(c->in.s);
	xfree(c->out.s);
	xfree(c);
	inuse[k] = 0; /* conns[k] stays */
}

static void conn_read(int k)
{
	struct conn *c = conns[k];
	char buf[4096], *nl;
	ssize_t n = read(c->fd, buf, sizeof buf);
	size_t used;

	if (n <= 0) {
		if (n < 0 && errno == EAGAIN)
			return;
		conn_close(k);
		return;
	}
	sb_add(&c->in, buf, (size_t)n);
#if REL >= 2
	c->bytes += (size_t)n;
#endif
	while ((nl = memchr(c->in.s, '\n', c->in.len))) {
		*nl = 0;
		if (nl > c->in.s && nl[-1] == '\r')
			nl[-1] = 0;
		if ((size_t)(nl - c->in.s) > lim.maxline)
			sb_printf(&c->out, "ERROR too long\n");
		else
			cmd(c, c->in.s);
		c->requests++;
		used = (size_t)(nl - c->in.s) + 1;
		memmove(c->in.s, nl + 1, c->in.len - used);
		c->in.len -= used;
	}
	if (c->out.len) {
		n = write(c->fd, c->out.s, c->out.len);
		if (n > 0) {
			memmove(c->out.s, c->out.s + n, c->out.len - (size_t)n);
			c->out.len -= (size_t)n;
		}
	}
}

static void conn_accept(void)
{
	int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK), k;
	struct conn *c;

	if (fd < 0)
		return;
	for (k = 0; k < MAXCONN && inuse[k]; k++)
		;
	if (k == MAXCONN) {
		close(fd);
		return;
	}
	c = xmalloc(sizeof *c);
	memset(c, 0, sizeof *c);
	c->fd = fd;
#if REL >= 2
	c->served_by = REL;
#endif
	sb_add(&c->in, "", 0);
	sb_add(&c->out, "", 0);
	conns[k] = c;
	inuse[k] = 1;
}

static void serve(void)
{
	struct pollfd pfd[MAXCONN + 2];
	int idx[MAXCONN + 2], n, k, i;

	for (;;) {
		stf_update_point();
		n = 0;
		pfd[n++] = (struct pollfd){ .fd = listen_fd, .events = POLLIN };
		pfd[n++] = (struct pollfd){ .fd = stf_update_fd(), .events = POLLIN };
		for (k = 0; k < MAXCONN; k++)
			if (inuse[k]) {
				idx[n] = k;
				pfd[n++] = (struct pollfd){ .fd = conns[k]->fd,
							    .events = POLLIN | (conns[k]->out.len ? POLLOUT : 0) };
			}
		if (poll(pfd, n, 1000) < 0)
			continue;
		if (pfd[0].revents)
			conn_accept();
		for (i = 2; i < n; i++)
			if (pfd[i].revents && inuse[idx[i]])
				conn_read(idx[i]);
	}
}

static void start(const char *port_file)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof sa;
	int one = 1;
	FILE *f;

	listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(listen_fd, (struct sockaddr *)&sa, sizeof sa) || listen(listen_fd, 128) ||
	    getsockname(listen_fd, (struct sockaddr *)&sa, &len)) {
		perror("hdrkv: listen");
		exit(1);
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
		fprintf(stderr, "usage: hdrkv PORT-FILE\n");
		return 2;
	}
	lim.maxline = 4096;
	lim.maxval = 2048;
#if REL >= 2
	lim.lenbase = 1000;
#endif
	if (!stf_is_updating())
		start(argv[1]);
	serve();
	return 1;
}
