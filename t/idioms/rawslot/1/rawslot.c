/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * rawslot 1 - a key-value server whose slots hold raw bytes behind
 * `void *` and integers in pointer fields, an idiom test server of ttst
 * (t/idioms/rawslot.sh).  Single-threaded, poll(), one request line, one
 * reply line:
 *
 *   SET key value -> OK            GET key -> VALUE value | NONE
 *   DEL key       -> OK | NONE     VERSION -> VERSION 1
 *   VERIFY        -> VERIFY ok keys=n tombstones=n numbers=n | VERIFY bad ...
 *
 * Written the way such tables are: open addressing over an array of
 * `struct slot *` in which a deleted entry is the marker TOMBSTONE,
 * (struct slot *)1; each slot's value is raw bytes behind `void *data`,
 * from a generic buffer allocator (a canonical number is kept as its
 * 8-byte binary value, anything else as its text), and its `void *udata`
 * carries an integer (the slot's sequence number, tagged odd), as event
 * libraries' user-data pointers often do.  A client's pending input is
 * raw bytes behind `void *in` too.  VERIFY checks every slot: its key
 * where it hashes, its bytes against their checksum, udata against its
 * sequence number, and the tombstones.
 *
 * Release 2 (2/rawslot.c) adds a member to struct slot, in the middle.
 *
 * Usage: rawslot PORT-FILE (listens on 127.0.0.1, any free port).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stf.h>
#include "../../port-listener.h"

#define RAWSLOT_VERSION "1"
#define MAX_CLIENTS 64
#define INBUF 1024

/* A buffer of raw bytes. */
static void *buf_new(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p) {
		fprintf(stderr, "rawslot: out of memory\n");
		abort();
	}
	return p;
}

/* ---- The table. ---- */

enum { VAL_TEXT = 1, VAL_NUMBER };

struct slot {
	char *key;
	unsigned hash;
	int kind;            /* VAL_TEXT: data holds len bytes of text;
	                        VAL_NUMBER: data holds a long (8 bytes) */
	void *data;          /* raw bytes */
	size_t len;
	unsigned sum;        /* checksum of data's len bytes */
	void *udata;         /* (void *)(seq << 1 | 1): an integer */
	unsigned long seq;
};

#define TOMBSTONE ((struct slot *)1)

static struct slot **table;   /* [size]: NULL, TOMBSTONE or a slot */
static size_t size = 64, used, tombstones;
static unsigned long next_seq = 1;

static unsigned hash_key(const char *s)
{
	unsigned h = 2166136261u;   /* FNV-1a */

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

static unsigned checksum(const void *p, size_t n)
{
	const unsigned char *b = p;
	unsigned s = 0;

	while (n--)
		s = s * 31 + *b++;
	return s;
}

/* The index of key's slot, or of the place where it would go. */
static size_t find(const char *key, unsigned h)
{
	size_t free_at = SIZE_MAX;

	for (size_t i = h & (size - 1);; i = (i + 1) & (size - 1)) {
		struct slot *s = table[i];

		if (!s)
			return free_at != SIZE_MAX ? free_at : i;
		if (s == TOMBSTONE) {
			if (free_at == SIZE_MAX)
				free_at = i;
		} else if (s->hash == h && strcmp(s->key, key) == 0) {
			return i;
		}
	}
}

static int is_slot(const struct slot *s)
{
	return s && s != TOMBSTONE;
}

static void grow(void)
{
	struct slot **old = table;
	size_t oldsize = size;

	size *= 2;
	table = calloc(size, sizeof *table);
	tombstones = 0;
	for (size_t i = 0; i < oldsize; i++)
		if (is_slot(old[i]))
			table[find(old[i]->key, old[i]->hash)] = old[i];
	free(old);
}

/* Keep value as the slot's raw bytes. */
static void set_value(struct slot *s, const char *value)
{
	char *end, canon[32];
	long v;

	errno = 0;
	v = strtol(value, &end, 10);
	snprintf(canon, sizeof canon, "%ld", v);
	if (*value && !*end && !errno && strcmp(canon, value) == 0) {
		s->kind = VAL_NUMBER;
		s->len = sizeof v;
		s->data = buf_new(s->len);
		memcpy(s->data, &v, sizeof v);
	} else {
		s->kind = VAL_TEXT;
		s->len = strlen(value);
		s->data = buf_new(s->len);
		memcpy(s->data, value, s->len);
	}
	s->sum = checksum(s->data, s->len);
}

static void table_set(const char *key, const char *value)
{
	unsigned h = hash_key(key);
	size_t i = find(key, h);
	struct slot *s = table[i];

	if (is_slot(s)) {
		free(s->data);
	} else {
		if (s == TOMBSTONE)
			tombstones--;
		s = calloc(1, sizeof *s);
		s->key = strdup(key);
		s->hash = h;
		s->seq = next_seq++;
		s->udata = (void *)(uintptr_t)(s->seq << 1 | 1);
		table[i] = s;
		used++;
	}
	set_value(s, value);
	if ((used + tombstones) * 4 > size * 3)
		grow();
}

static int table_del(const char *key)
{
	size_t i = find(key, hash_key(key));
	struct slot *s = table[i];

	if (!is_slot(s))
		return 0;
	free(s->key);
	free(s->data);
	free(s);
	table[i] = TOMBSTONE;
	used--;
	tombstones++;
	return 1;
}

static void format_value(const struct slot *s, char *out, size_t n)
{
	if (s->kind == VAL_NUMBER) {
		long v;

		memcpy(&v, s->data, sizeof v);
		snprintf(out, n, "%ld", v);
	} else {
		snprintf(out, n, "%.*s", (int)s->len, (const char *)s->data);
	}
}

/* ---- VERIFY. ---- */

static char verify_why[200];

static int bad(const char *what, const char *key)
{
	snprintf(verify_why, sizeof verify_why, "%s (key '%s')", what, key ? key : "");
	return -1;
}

static int verify(unsigned long *keys, unsigned long *tombs, unsigned long *numbers)
{
	*keys = *tombs = *numbers = 0;
	for (size_t i = 0; i < size; i++) {
		const struct slot *s = table[i];

		if (s == TOMBSTONE) {
			++*tombs;
			continue;
		}
		if (!s)
			continue;
		++*keys;
		if (s->hash != hash_key(s->key) || find(s->key, s->hash) != i)
			return bad("key not found where it hashes", s->key);
		if (s->udata != (void *)(uintptr_t)(s->seq << 1 | 1) || !s->seq || s->seq >= next_seq)
			return bad("udata is not the slot's sequence number", s->key);
		if ((s->kind != VAL_TEXT && s->kind != VAL_NUMBER) ||
		    (s->kind == VAL_NUMBER && s->len != sizeof(long)))
			return bad("value kind or length", s->key);
		if (checksum(s->data, s->len) != s->sum)
			return bad("value bytes differ from their checksum", s->key);
		*numbers += s->kind == VAL_NUMBER;
	}
	if (*keys != used || *tombs != tombstones)
		return bad("table counters", NULL);
	return 0;
}

/* ---- Requests. ---- */

struct client {
	int fd;
	void *in;            /* INBUF raw bytes: the pending input */
	size_t inlen;
};

static struct client *clients[MAX_CLIENTS];

static void reply(struct client *c, const char *text)
{
	size_t len = strlen(text), done = 0;

	while (done < len) {
		ssize_t n = send(c->fd, text + done, len - done, MSG_NOSIGNAL);

		if (n < 0 && errno != EINTR)
			return;   /* the client is gone; the next read says so */
		done += n > 0 ? n : 0;
	}
}

static void handle_request(struct client *c, char *line)
{
	char *arg = strchr(line, ' '), *rest = NULL, out[300];

	if (arg) {
		*arg++ = '\0';
		rest = strchr(arg, ' ');
		if (rest)
			*rest++ = '\0';
	}
	if (strcmp(line, "SET") == 0 && arg && rest) {
		table_set(arg, rest);
		reply(c, "OK\n");
	} else if (strcmp(line, "GET") == 0 && arg) {
		const struct slot *s = table[find(arg, hash_key(arg))];
		char text[256];

		if (is_slot(s)) {
			format_value(s, text, sizeof text);
			snprintf(out, sizeof out, "VALUE %s\n", text);
			reply(c, out);
		} else {
			reply(c, "NONE\n");
		}
	} else if (strcmp(line, "DEL") == 0 && arg) {
		reply(c, table_del(arg) ? "OK\n" : "NONE\n");
	} else if (strcmp(line, "VERSION") == 0) {
		reply(c, "VERSION " RAWSLOT_VERSION "\n");
	} else if (strcmp(line, "VERIFY") == 0) {
		unsigned long keys, tombs, numbers;

		if (verify(&keys, &tombs, &numbers) < 0)
			snprintf(out, sizeof out, "VERIFY bad %s\n", verify_why);
		else
			snprintf(out, sizeof out, "VERIFY ok keys=%lu tombstones=%lu numbers=%lu\n",
				 keys, tombs, numbers);
		reply(c, out);
	} else {
		reply(c, "ERR bad request\n");
	}
}

/* Execute the complete lines received; -1 when the client is gone. */
static int client_read(struct client *c)
{
	char *in = c->in, *nl;
	ssize_t n = read(c->fd, in + c->inlen, INBUF - c->inlen);

	if (n < 0)
		return errno == EINTR ? 0 : -1;
	if (n == 0)
		return -1;
	c->inlen += n;
	while ((nl = memchr(in, '\n', c->inlen))) {
		size_t len = nl + 1 - in;

		*nl = '\0';
		handle_request(c, in);
		memmove(in, nl + 1, c->inlen - len);
		c->inlen -= len;
	}
	return c->inlen == INBUF ? -1 : 0;
}

static void client_close(int i)
{
	close(clients[i]->fd);
	free(clients[i]->in);
	free(clients[i]);
	clients[i] = NULL;
}

static void accept_client(int lfd)
{
	int fd = accept(lfd, NULL, NULL), one = 1, i;

	if (fd < 0)
		return;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	for (i = 0; i < MAX_CLIENTS && clients[i]; i++)
		;
	if (i == MAX_CLIENTS) {
		close(fd);
		return;
	}
	clients[i] = calloc(1, sizeof *clients[i]);
	clients[i]->fd = fd;
	clients[i]->in = buf_new(INBUF);
}

static int listen_fd = -1;

int main(int argc, char **argv)
{
	struct pollfd pfd[MAX_CLIENTS + 1];

	if (argc != 2) {
		fprintf(stderr, "usage: rawslot PORT-FILE\n");
		return 2;
	}
	if (!stf_is_updating()) {
		table = calloc(size, sizeof *table);
		listen_fd = listen_loopback("rawslot", SOCK_STREAM, argv[1]);
	}
	for (;;) {
		stf_update_point();
		pfd[0] = (struct pollfd){ .fd = listen_fd, .events = POLLIN };
		for (int i = 0; i < MAX_CLIENTS; i++)
			pfd[i + 1] = (struct pollfd){ .fd = clients[i] ? clients[i]->fd : -1,
						      .events = POLLIN };
		if (poll(pfd, MAX_CLIENTS + 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			perror("rawslot: poll");
			return 1;
		}
		if (pfd[0].revents & POLLIN)
			accept_client(listen_fd);
		for (int i = 0; i < MAX_CLIENTS; i++)
			if (clients[i] && (pfd[i + 1].revents & (POLLIN | POLLHUP | POLLERR)) &&
			    client_read(clients[i]) < 0)
				client_close(i);
	}
}
