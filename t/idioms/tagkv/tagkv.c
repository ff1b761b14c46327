/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tagkv - a key-value server with its own memory arena: chunks of 64 KiB
 * carved into blocks that carry a size header, freed blocks kept on free
 * lists by size class (linked through their first word); an intrusive
 * hash table whose entries hold a `void *` value tagged by an enum
 * (string with a flexible `char data[]`, integer, or a raw byte copy);
 * connections are arena blocks too, with their input buffer as a
 * flexible member.  A poll() loop, no library.
 *
 * Protocol: SET k v, GET k, DEL k, VERSION, VERIFY, INCR k (numbers),
 * KIND k -> KIND str|int|raw (and in REL 2: TOUCH k -> TOUCHED n).
 * Written as a held-out red-team server (wave 8); built from this one
 * source as release 1 (REL=1) and release 2 (REL=2: the entry gains a
 * member before its `char key[]`, the command table an entry, and the
 * release is compiled at -O0).
 * Usage: tagkv PORT-FILE
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
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
#if REL >= 2
#pragma GCC optimize("O0")
#endif

/* ---- the arena ---- */
#define CHUNK_SIZE (64 * 1024)
#define NCLASSES 9 /* 16 .. 4096 */
#define HDR_MAGIC 0xa5e7u

struct block_hdr {
	uint32_t size;  /* usable bytes (the class size) */
	uint16_t magic;
	uint16_t cls;
};

struct chunk {
	struct chunk *next;
	size_t used;
	unsigned char mem[];
};

static struct chunk *chunks;
static void *free_lists[NCLASSES];
static size_t arena_live, arena_blocks;

void *arena_alloc(size_t n) STF_ALLOCATOR;
void arena_free(void *p);

static int class_of(size_t n)
{
	int c = 0;
	size_t s = 16;
	while (s < n && c < NCLASSES - 1) {
		s <<= 1;
		c++;
	}
	return s >= n ? c : -1;
}

void *arena_alloc(size_t n)
{
	int c = class_of(n);
	if (c < 0)
		return NULL;
	size_t size = (size_t)16 << c;
	struct block_hdr *h;
	if (free_lists[c]) {
		void *p = free_lists[c];
		free_lists[c] = *(void **)p;
		h = (struct block_hdr *)p - 1;
	} else {
		if (!chunks || chunks->used + sizeof(*h) + size > CHUNK_SIZE - sizeof(struct chunk)) {
			struct chunk *k = malloc(CHUNK_SIZE);
			if (!k)
				return NULL;
			k->next = chunks;
			k->used = 0;
			chunks = k;
		}
		h = (struct block_hdr *)(chunks->mem + chunks->used);
		chunks->used += sizeof(*h) + size;
		h->size = (uint32_t)size;
		h->cls = (uint16_t)c;
	}
	h->magic = HDR_MAGIC;
	arena_live += size;
	arena_blocks++;
	memset(h + 1, 0, size);
	return h + 1;
}

void arena_free(void *p)
{
	if (!p)
		return;
	struct block_hdr *h = (struct block_hdr *)p - 1;
	if (h->magic != HDR_MAGIC) {
		fprintf(stderr, "tagkv: arena_free(%p): bad header\n", p);
		abort();
	}
	h->magic = 0;
	arena_live -= h->size;
	arena_blocks--;
	*(void **)p = free_lists[h->cls];
	free_lists[h->cls] = p;
}

static size_t arena_size(const void *p)
{
	return ((const struct block_hdr *)p - 1)->size;
}

/* ---- values ---- */
enum kind { K_STR = 1, K_INT, K_RAW };

struct str_value {
	uint32_t len;
	char data[];
};

struct int_value {
	long n;
	long incrs;
};

struct entry {
	struct entry *next;  /* hash chain */
	uint32_t hash;
	enum kind kind;
	void *value;
	size_t vsize;        /* bytes behind value */
#if REL >= 2
	unsigned touched;
#endif
	char key[];
};

#define NBUCKETS 1024
static struct entry *buckets[NBUCKETS];
static size_t nentries;
static const char *kind_names[] = { "?", "str", "int", "raw" };

static uint32_t hash_of(const char *s)
{
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static struct entry **lookup(const char *key, uint32_t h)
{
	struct entry **e = &buckets[h % NBUCKETS];
	while (*e && ((*e)->hash != h || strcmp((*e)->key, key)))
		e = &(*e)->next;
	return e;
}

static int is_number(const char *s)
{
	if (*s == '-')
		s++;
	if (!*s || strlen(s) > 15)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

/* Texts of 8 bytes or less are kept raw (a copy of the bytes), longer
 * ones as strings, numbers as integers. */
static int make_value(struct entry *e, const char *v)
{
	size_t len = strlen(v);
	if (is_number(v)) {
		struct int_value *iv = arena_alloc(sizeof(*iv));
		if (!iv)
			return -1;
		iv->n = atol(v);
		e->kind = K_INT;
		e->value = iv;
		e->vsize = sizeof(*iv);
	} else if (len <= 8) {
		char *raw = arena_alloc(len + 1);
		if (!raw)
			return -1;
		memcpy(raw, v, len + 1);
		e->kind = K_RAW;
		e->value = raw;
		e->vsize = len + 1;
	} else {
		struct str_value *sv = arena_alloc(sizeof(*sv) + len + 1);
		if (!sv)
			return -1;
		sv->len = (uint32_t)len;
		memcpy(sv->data, v, len + 1);
		e->kind = K_STR;
		e->value = sv;
		e->vsize = sizeof(*sv) + len + 1;
	}
	return 0;
}

static void format_value(const struct entry *e, char *out, size_t size)
{
	switch (e->kind) {
	case K_INT:
		snprintf(out, size, "%ld", ((const struct int_value *)e->value)->n);
		break;
	case K_STR:
		snprintf(out, size, "%s", ((const struct str_value *)e->value)->data);
		break;
	case K_RAW:
		snprintf(out, size, "%s", (const char *)e->value);
		break;
	}
}

static int set(const char *key, const char *v)
{
	uint32_t h = hash_of(key);
	struct entry **at = lookup(key, h), *e = *at;
	if (e) {
		arena_free(e->value);
	} else {
		e = arena_alloc(sizeof(*e) + strlen(key) + 1);
		if (!e)
			return -1;
		e->hash = h;
		strcpy(e->key, key);
		*at = e;
		nentries++;
	}
	return make_value(e, v);
}

static int del(const char *key)
{
	struct entry **at = lookup(key, hash_of(key)), *e = *at;
	if (!e)
		return 0;
	*at = e->next;
	arena_free(e->value);
	arena_free(e);
	nentries--;
	return 1;
}

/* ---- connections ---- */
#define MAX_CONNS 64
#define INBUF 2048

struct conn {
	int fd;
	size_t used;
	unsigned long requests;
	char in[];  /* INBUF bytes */
};

static int listen_fd = -1;
static struct conn *conns[MAX_CONNS];
static unsigned long total_requests;

static int send_line(struct conn *c, const char *s)
{
	size_t len = strlen(s);
	char buf[4200];
	memcpy(buf, s, len);
	buf[len] = '\n';
	for (size_t off = 0; off <= len;) {
		ssize_t w = write(c->fd, buf + off, len + 1 - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		off += (size_t)w;
	}
	return 0;
}

static const char *verify(char *why, size_t size)
{
	size_t n = 0, blocks = 0;
	for (size_t b = 0; b < NBUCKETS; b++)
		for (const struct entry *e = buckets[b]; e; e = e->next, n++) {
			blocks += 2;
			if (e->hash % NBUCKETS != b || e->hash != hash_of(e->key)) {
				snprintf(why, size, "%s in the wrong bucket", e->key);
				return why;
			}
			if (e->kind < K_STR || e->kind > K_RAW || arena_size(e->value) < e->vsize) {
				snprintf(why, size, "%s: kind %d, %zu bytes in a block of %zu", e->key,
					 (int)e->kind, e->vsize, arena_size(e->value));
				return why;
			}
			if (e->kind == K_STR &&
			    strlen(((const struct str_value *)e->value)->data) !=
				    ((const struct str_value *)e->value)->len) {
				snprintf(why, size, "%s: string length", e->key);
				return why;
			}
		}
	for (int i = 0; i < MAX_CONNS; i++)
		if (conns[i])
			blocks++;
	if (n != nentries || blocks != arena_blocks) {
		snprintf(why, size, "%zu entries (%zu counted), %zu blocks (%zu counted)", n, nentries,
			 blocks, arena_blocks);
		return why;
	}
	for (int c = 0; c < NCLASSES; c++)
		for (void *p = free_lists[c]; p; p = *(void **)p)
			if (((struct block_hdr *)p - 1)->cls != c) {
				snprintf(why, size, "free list %d holds a block of class %d", c,
					 ((struct block_hdr *)p - 1)->cls);
				return why;
			}
	return NULL;
}

static int request(struct conn *c, char *line)
{
	char out[4200], why[200], *cmd = strtok(line, " "), *a = strtok(NULL, " "),
					*b = strtok(NULL, "");
	c->requests++;
	total_requests++;
	if (!cmd)
		return send_line(c, "ERROR empty");
	if (!strcmp(cmd, "SET") && a && b)
		return send_line(c, set(a, b) < 0 ? "ERROR memory" : "OK");
	if (!strcmp(cmd, "GET") && a) {
		struct entry *e = *lookup(a, hash_of(a));
		if (!e)
			return send_line(c, "NONE");
		strcpy(out, "VALUE ");
		format_value(e, out + 6, sizeof out - 6);
		return send_line(c, out);
	}
	if (!strcmp(cmd, "DEL") && a)
		return send_line(c, del(a) ? "OK" : "NONE");
	if (!strcmp(cmd, "INCR") && a) {
		struct entry *e = *lookup(a, hash_of(a));
		if (!e && set(a, "0") < 0)
			return send_line(c, "ERROR memory");
		e = *lookup(a, hash_of(a));
		if (e->kind != K_INT)
			return send_line(c, "ERROR not a number");
		struct int_value *iv = e->value;
		iv->incrs++;
		snprintf(out, sizeof out, "NUMBER %ld", ++iv->n);
		return send_line(c, out);
	}
	if (!strcmp(cmd, "KIND") && a) {
		struct entry *e = *lookup(a, hash_of(a));
		snprintf(out, sizeof out, "KIND %s", e ? kind_names[e->kind] : "none");
		return send_line(c, out);
	}
#if REL >= 2
	if (!strcmp(cmd, "TOUCH") && a) {
		struct entry *e = *lookup(a, hash_of(a));
		snprintf(out, sizeof out, "TOUCHED %u", e ? ++e->touched : 0);
		return send_line(c, out);
	}
#endif
	if (!strcmp(cmd, "VERSION")) {
		snprintf(out, sizeof out, "VERSION tagkv %d", REL);
		return send_line(c, out);
	}
	if (!strcmp(cmd, "VERIFY")) {
		const char *bad = verify(why, sizeof why);
		if (bad)
			snprintf(out, sizeof out, "VERIFY bad %s", bad);
		else
			snprintf(out, sizeof out, "VERIFY ok entries=%zu arena=%zu requests=%lu",
				 nentries, arena_live, total_requests);
		return send_line(c, out);
	}
	return send_line(c, "ERROR unknown");
}

static void drop(int i)
{
	close(conns[i]->fd);
	arena_free(conns[i]);
	conns[i] = NULL;
}

static void serve(int i)
{
	struct conn *c = conns[i];
	ssize_t r = read(c->fd, c->in + c->used, INBUF - c->used);
	if (r <= 0) {
		if (r < 0 && errno == EINTR)
			return;
		drop(i);
		return;
	}
	c->used += (size_t)r;
	char *nl;
	while ((nl = memchr(c->in, '\n', c->used))) {
		*nl = 0;
		size_t taken = (size_t)(nl - c->in) + 1;
		if (request(c, c->in) < 0) {
			drop(i);
			return;
		}
		memmove(c->in, c->in + taken, c->used - taken);
		c->used -= taken;
	}
	if (c->used == INBUF)
		drop(i);
}

static void accept_one(void)
{
	int fd = accept(listen_fd, NULL, NULL);
	if (fd < 0)
		return;
	for (int i = 0; i < MAX_CONNS; i++)
		if (!conns[i]) {
			conns[i] = arena_alloc(sizeof(struct conn) + INBUF);
			if (!conns[i])
				break;
			conns[i]->fd = fd;
			return;
		}
	close(fd);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: tagkv PORT-FILE\n");
		return 2;
	}
	if (!stf_is_updating()) {
		struct sockaddr_in sa = { .sin_family = AF_INET,
					  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
		socklen_t sl = sizeof sa;
		int one = 1;
		listen_fd = socket(AF_INET, SOCK_STREAM, 0);
		setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		if (bind(listen_fd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(listen_fd, 64) < 0 ||
		    getsockname(listen_fd, (struct sockaddr *)&sa, &sl) < 0) {
			perror("tagkv: listen");
			return 1;
		}
		FILE *f = fopen(argv[1], "w");
		if (!f || fprintf(f, "%d\n", ntohs(sa.sin_port)) < 0 || fclose(f)) {
			perror(argv[1]);
			return 1;
		}
	}
	for (;;) {
		struct pollfd p[MAX_CONNS + 1];
		int map[MAX_CONNS + 1], n = 0;
		stf_update_point();
		p[n].fd = listen_fd;
		p[n].events = POLLIN;
		map[n++] = -1;
		for (int i = 0; i < MAX_CONNS; i++)
			if (conns[i]) {
				p[n].fd = conns[i]->fd;
				p[n].events = POLLIN;
				map[n++] = i;
			}
		if (poll(p, (nfds_t)n, 100) < 0)
			continue;
		for (int k = 0; k < n; k++) {
			if (!p[k].revents)
				continue;
			if (map[k] < 0)
				accept_one();
			else if (conns[map[k]])
				serve(map[k]);
		}
	}
}
