/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * sizehdr 2 - a small data-structure server (strings, integers, lists in
 * one dictionary), an idiom test server of ttst (t/idioms/sizehdr.sh).
 * Single-threaded, poll(), one request line, one reply line:
 *
 *   SET key value   -> OK          a canonical decimal number is kept as an
 *                                  integer object, anything else as a string
 *   GET key         -> VALUE text | NONE      (a list: its items, comma-joined)
 *   DEL key         -> OK | NONE
 *   RPUSH key item  -> OK n        appends to the list at key (made if absent)
 *   VERSION         -> VERSION 2
 *   VERIFY          -> VERIFY ok keys=n lists=n items=n memory=n | VERIFY bad ...
 *
 * Written the way such servers are (Redis' zmalloc, its dict): every
 * allocation goes through zmalloc, which puts the block's size in a 16-byte
 * header in front of what it returns so that zfree can keep used_memory
 * exact; the dictionary holds `void *` values that point to objects of
 * three types told apart by their first member; a deleted slot keeps its
 * (freed) value pointer, only its key is cleared - the server never reads
 * it again.  VERIFY walks every slot and object and checks the types, the
 * size headers, the list links and that used_memory is the sum of the
 * headers of every live block.
 *
 * Release 2 (this one) gives lists an operations table, list.ops, which
 * every list must have (GET formats lists through it): list_new sets it.
 * Lists made by release 1 get it from the member callback in main, the way
 * stf.h(3) documents for a member that exists only in the new version;
 * their size headers still hold release 1's size (see verify).
 *
 * Usage: sizehdr PORT-FILE (listens on 127.0.0.1, any free port).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <malloc.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stf.h>
#include "../../port-listener.h"

#define SIZEHDR_VERSION "2"
#define MAX_CLIENTS 64
#define INBUF 1024
#define ZHDR 16   /* size header in front of every zmalloc block (keeps 16-byte alignment) */

/* ---- Allocator: malloc with a size header, for used_memory. ---- */

static size_t used_memory;

STF_ALLOCATOR void *zmalloc(size_t size);
STF_ALLOCATOR void *zcalloc(size_t size);
STF_ALLOCATOR char *zstrdup(const char *s);
void zfree(void *ptr);

void *zmalloc(size_t size)
{
	char *p = malloc(size + ZHDR);

	if (!p) {
		fprintf(stderr, "sizehdr: out of memory (%zu bytes)\n", size);
		abort();
	}
	*(size_t *)p = size;
	used_memory += size;
	return p + ZHDR;
}

void *zcalloc(size_t size)
{
	return memset(zmalloc(size), 0, size);
}

char *zstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(zmalloc(n), s, n);
}

/* The size zmalloc recorded for ptr. */
static size_t zsize(const void *ptr)
{
	return *(const size_t *)((const char *)ptr - ZHDR);
}

void zfree(void *ptr)
{
	if (!ptr)
		return;
	used_memory -= zsize(ptr);
	free((char *)ptr - ZHDR);
}

/* ---- Objects. ---- */

enum obj_type { OBJ_STRING = 1, OBJ_INT, OBJ_LIST };

struct strobj {
	int type;          /* OBJ_STRING */
	size_t len;
	char data[];       /* len bytes and a NUL */
};

struct intobj {
	int type;          /* OBJ_INT */
	long value;
};

struct listnode {
	struct listnode *next;
	char *item;
};

/* How a kind of list is shown; every list has one. */
struct listops {
	const char *name;
	const char *separator;   /* between items in GET's reply */
};

static const struct listops plain_list_ops = { "plain", "," };

/* sizeof (struct listobj) in release 1, before ops (see verify) */
#define LISTOBJ_SIZE_1 24

struct listobj {
	int type;          /* OBJ_LIST */
	unsigned len;
	struct listnode *head, *tail;
	const struct listops *ops;   /* never NULL */
};

static void *string_new(const char *s)
{
	size_t len = strlen(s);
	struct strobj *o = zmalloc(sizeof *o + len + 1);

	o->type = OBJ_STRING;
	o->len = len;
	memcpy(o->data, s, len + 1);
	return o;
}

/* An integer object when s is a number written the canonical way (so that
 * GET gives back the same text), else a string object. */
static void *value_new(const char *s)
{
	char *end, canon[32];
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s && !*end && !errno) {
		snprintf(canon, sizeof canon, "%ld", v);
		if (strcmp(canon, s) == 0) {
			struct intobj *o = zmalloc(sizeof *o);

			o->type = OBJ_INT;
			o->value = v;
			return o;
		}
	}
	return string_new(s);
}

static struct listobj *list_new(void)
{
	struct listobj *l = zcalloc(sizeof *l);

	l->type = OBJ_LIST;
	l->ops = &plain_list_ops;
	return l;
}

static void list_push(struct listobj *l, const char *item)
{
	struct listnode *n = zmalloc(sizeof *n);

	n->next = NULL;
	n->item = zstrdup(item);
	if (l->tail)
		l->tail->next = n;
	else
		l->head = n;
	l->tail = n;
	l->len++;
}

static void obj_free(void *obj)
{
	if (*(int *)obj == OBJ_LIST) {
		struct listobj *l = obj;
		struct listnode *n, *next;

		for (n = l->head; n; n = next) {
			next = n->next;
			zfree(n->item);
			zfree(n);
		}
	}
	zfree(obj);
}

/* Write the object's text into buf. */
static void obj_format(const void *obj, char *buf, size_t size)
{
	const struct listnode *n;
	size_t used = 0;

	switch (*(const int *)obj) {
	case OBJ_STRING:
		snprintf(buf, size, "%s", ((const struct strobj *)obj)->data);
		break;
	case OBJ_INT:
		snprintf(buf, size, "%ld", ((const struct intobj *)obj)->value);
		break;
	case OBJ_LIST: {
		const struct listobj *l = obj;

		buf[0] = '\0';
		for (n = l->head; n && used < size; n = n->next)
			used += snprintf(buf + used, size - used, "%s%s",
					 used ? l->ops->separator : "", n->item);
		break;
	}
	}
}

/* ---- Dictionary: open addressing, linear probing. ---- */

struct dictent {
	char *key;        /* NULL: empty or deleted */
	void *val;        /* left as it was when the key is deleted */
	unsigned hash;
	int deleted;
};

struct dict {
	size_t size;      /* slots, a power of 2 */
	size_t used;      /* keys */
	size_t deleted;   /* deleted slots */
	struct dictent *ents;
};

static struct dict *db;

static unsigned hash_key(const char *s)
{
	unsigned h = 2166136261u;   /* FNV-1a */

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

static struct dict *dict_new(size_t size)
{
	struct dict *d = zcalloc(sizeof *d);

	d->size = size;
	d->ents = zcalloc(size * sizeof *d->ents);
	return d;
}

/* The slot of key, or the slot where it would go (NULL key). */
static struct dictent *dict_slot(struct dict *d, const char *key, unsigned h)
{
	struct dictent *free_slot = NULL;

	for (size_t i = h & (d->size - 1);; i = (i + 1) & (d->size - 1)) {
		struct dictent *e = &d->ents[i];

		if (e->key && e->hash == h && strcmp(e->key, key) == 0)
			return e;
		if (!e->key && !free_slot)
			free_slot = e;
		if (!e->key && !e->deleted)
			return free_slot;
	}
}

static void dict_grow(struct dict *d)
{
	struct dictent *old = d->ents;
	size_t oldsize = d->size;

	d->size *= 2;
	d->ents = zcalloc(d->size * sizeof *d->ents);
	d->deleted = 0;
	for (size_t i = 0; i < oldsize; i++)
		if (old[i].key)
			*dict_slot(d, old[i].key, old[i].hash) = old[i];
	zfree(old);
}

static void *dict_get(struct dict *d, const char *key)
{
	struct dictent *e = dict_slot(d, key, hash_key(key));

	return e->key ? e->val : NULL;
}

/* Insert or replace; the old value is freed. */
static void dict_set(struct dict *d, const char *key, void *val)
{
	unsigned h = hash_key(key);
	struct dictent *e = dict_slot(d, key, h);

	if (e->key) {
		obj_free(e->val);
		e->val = val;
		return;
	}
	if (e->deleted)
		d->deleted--;
	e->key = zstrdup(key);
	e->val = val;
	e->hash = h;
	e->deleted = 0;
	d->used++;
	if ((d->used + d->deleted) * 4 > d->size * 3)
		dict_grow(d);
}

static int dict_del(struct dict *d, const char *key)
{
	struct dictent *e = dict_slot(d, key, hash_key(key));

	if (!e->key)
		return 0;
	zfree(e->key);
	obj_free(e->val);
	e->key = NULL;
	e->deleted = 1;
	d->used--;
	d->deleted++;
	return 1;
}

/* ---- VERIFY. ---- */

struct client {
	int fd;
	size_t inlen;
	char in[INBUF];
};

static struct client *clients[MAX_CLIENTS];

static char verify_why[200];

static int bad(const char *what, const char *key)
{
	snprintf(verify_why, sizeof verify_why, "%s (key '%s')", what, key ? key : "");
	return -1;
}

/* Check every slot, object and size header; count into the arguments. */
static int verify(unsigned long *keys, unsigned long *lists, unsigned long *items)
{
	size_t memory = sizeof *db + db->size * sizeof *db->ents, used = 0, deleted = 0;

	*keys = *lists = *items = 0;
	if (zsize(db) != sizeof *db || zsize(db->ents) != db->size * sizeof *db->ents)
		return bad("dictionary size headers", NULL);
	for (size_t i = 0; i < db->size; i++) {
		const struct dictent *e = &db->ents[i];

		if (!e->key) {
			deleted += e->deleted;
			continue;
		}
		used++;
		if (e->hash != hash_key(e->key) || dict_slot(db, e->key, e->hash) != e)
			return bad("key not found where it hashes", e->key);
		if (zsize(e->key) != strlen(e->key) + 1)
			return bad("key size header", e->key);
		memory += zsize(e->key);
		switch (*(const int *)e->val) {
		case OBJ_STRING: {
			const struct strobj *s = e->val;

			if (strlen(s->data) != s->len || zsize(s) != sizeof *s + s->len + 1)
				return bad("string length or size header", e->key);
			break;
		}
		case OBJ_INT:
			if (zsize(e->val) != sizeof(struct intobj))
				return bad("integer size header", e->key);
			break;
		case OBJ_LIST: {
			const struct listobj *l = e->val;
			const struct listnode *n, *last = NULL;
			unsigned len = 0;

			/* A list made by release 1 and carried over by a live
			 * update keeps the header zmalloc wrote for it: ttst
			 * moves its block to one of the new size and copies the
			 * header as it is (it does not guess which word is a
			 * size), so used_memory, which counted that size, stays
			 * the sum of the headers.  The block itself has room
			 * for the new type. */
			if ((zsize(l) != sizeof *l && zsize(l) != LISTOBJ_SIZE_1) ||
			    malloc_usable_size((char *)l - ZHDR) < ZHDR + sizeof *l)
				return bad("list size header", e->key);
			if (l->ops != &plain_list_ops)
				return bad("list without its operations", e->key);
			for (n = l->head; n; last = n, n = n->next, len++) {
				if (zsize(n) != sizeof *n || zsize(n->item) != strlen(n->item) + 1)
					return bad("list node size header", e->key);
				memory += sizeof *n + zsize(n->item);
			}
			if (len != l->len || last != l->tail)
				return bad("list length or tail", e->key);
			++*lists;
			*items += len;
			break;
		}
		default:
			return bad("value of no known type", e->key);
		}
		memory += zsize(e->val);
	}
	for (int i = 0; i < MAX_CLIENTS; i++) {
		if (clients[i] && zsize(clients[i]) != sizeof *clients[i])
			return bad("client size header", NULL);
		memory += clients[i] ? sizeof *clients[i] : 0;
	}
	*keys = used;
	if (used != db->used || deleted != db->deleted)
		return bad("dictionary counters", NULL);
	if (memory != used_memory) {
		snprintf(verify_why, sizeof verify_why, "used_memory %zu, blocks hold %zu",
			 used_memory, memory);
		return -1;
	}
	return 0;
}

/* ---- Requests. ---- */

static unsigned long requests;

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
	char *arg = strchr(line, ' '), *rest = NULL, out[4200];
	void *obj;

	requests++;
	if (arg) {
		*arg++ = '\0';
		rest = strchr(arg, ' ');
		if (rest)
			*rest++ = '\0';
	}
	if (strcmp(line, "SET") == 0 && arg && rest) {
		dict_set(db, arg, value_new(rest));
		reply(c, "OK\n");
	} else if (strcmp(line, "GET") == 0 && arg) {
		if ((obj = dict_get(db, arg))) {
			char text[4096];

			obj_format(obj, text, sizeof text);
			snprintf(out, sizeof out, "VALUE %s\n", text);
			reply(c, out);
		} else {
			reply(c, "NONE\n");
		}
	} else if (strcmp(line, "DEL") == 0 && arg) {
		reply(c, dict_del(db, arg) ? "OK\n" : "NONE\n");
	} else if (strcmp(line, "RPUSH") == 0 && arg && rest) {
		obj = dict_get(db, arg);
		if (obj && *(int *)obj != OBJ_LIST) {
			reply(c, "ERR not a list\n");
			return;
		}
		if (!obj) {
			obj = list_new();
			dict_set(db, arg, obj);
		}
		list_push(obj, rest);
		snprintf(out, sizeof out, "OK %u\n", ((struct listobj *)obj)->len);
		reply(c, out);
	} else if (strcmp(line, "VERSION") == 0) {
		reply(c, "VERSION " SIZEHDR_VERSION "\n");
	} else if (strcmp(line, "VERIFY") == 0) {
		unsigned long keys, lists, items;

		if (verify(&keys, &lists, &items) < 0)
			snprintf(out, sizeof out, "VERIFY bad %s\n", verify_why);
		else
			snprintf(out, sizeof out, "VERIFY ok keys=%lu lists=%lu items=%lu memory=%zu\n",
				 keys, lists, items, used_memory);
		reply(c, out);
	} else {
		reply(c, "ERR bad request\n");
	}
}

/* Execute the complete lines received; -1 when the client is gone. */
static int client_read(struct client *c)
{
	ssize_t n = read(c->fd, c->in + c->inlen, sizeof c->in - c->inlen);
	char *nl;

	if (n < 0)
		return errno == EINTR ? 0 : -1;
	if (n == 0)
		return -1;
	c->inlen += n;
	while ((nl = memchr(c->in, '\n', c->inlen))) {
		size_t used = nl + 1 - c->in;

		*nl = '\0';
		handle_request(c, c->in);
		memmove(c->in, nl + 1, c->inlen - used);
		c->inlen -= used;
	}
	return c->inlen == sizeof c->in ? -1 : 0;
}

static void client_close(int slot)
{
	close(clients[slot]->fd);
	zfree(clients[slot]);
	clients[slot] = NULL;
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
	clients[i] = zcalloc(sizeof *clients[i]);
	clients[i]->fd = fd;
}

static int listen_fd = -1;

/*
 * list.ops is new in this release and may not be NULL.  A list made by
 * release 1 has no such member: the update gives it the operations every
 * list gets from list_new.  (Runs in the new version, forward only.)
 */
static int init_list_ops(struct stf_xfer *x, const struct stf_value *src,
			 struct stf_value *dst, void *arg)
{
	(void)x, (void)src, (void)arg;
	*(const struct listops **)dst->addr = &plain_list_ops;
	return STF_CB_DONE;
}

int main(int argc, char **argv)
{
	struct pollfd pfd[MAX_CLIENTS + 1];

	if (argc != 2) {
		fprintf(stderr, "usage: sizehdr PORT-FILE\n");
		return 2;
	}
	if (stf_on_member("struct listobj", "ops", STF_FORWARD, init_list_ops, NULL) < 0) {
		fprintf(stderr, "sizehdr: cannot register the callback for list.ops\n");
		return 1;
	}
	if (!stf_is_updating()) {
		db = dict_new(16);
		listen_fd = listen_loopback("sizehdr", SOCK_STREAM, argv[1]);
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
			perror("sizehdr: poll");
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
