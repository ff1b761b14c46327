/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * tagdict 2 - a dictionary server whose values are tagged `void *`, an
 * idiom test server of ttst (t/idioms/tagdict.sh).  Single-threaded,
 * poll(), one request line, one reply line:
 *
 *   SET key value -> OK            GET key -> VALUE value | NONE
 *   DEL key       -> OK | NONE     VERSION -> VERSION tagdict/2
 *   SAVE          -> SAVED n       (clears the dirty marks, n of them)
 *   VERIFY        -> VERIFY ok keys=n ints=n dirty=n memory=n | VERIFY bad ...
 *
 * Written the way interpreters and caches keep values: a slot's `void *val`
 * is either a small integer shifted left with its low bit set (never a
 * pointer), or a pointer to an object whose common header's tag tells its
 * type (a short text inline, a text behind `char *`, raw bytes behind
 * `void *`); bit 1 of an object pointer marks the value dirty (changed
 * since the last SAVE).  A deleted slot's key becomes the sentinel
 * (char *)-1 and its val keeps the freed object's address; a slot's
 * `void *udata` holds a small enum value.  Every allocation goes through
 * xmalloc, which puts a 16-byte header (magic, size) in front of what it
 * returns.  The keys set since the last SAVE are kept, copied, in a
 * vector grown by xrealloc whose capacity past its length holds stale
 * pointers to the copies freed by the last SAVE.
 *
 * Release 2 (this one) adds members to the object header (flags), to the
 * text object (its hash, in the middle, and widens its length) and to the
 * slot (a hit counter, in the middle), grows the inline text's array and
 * inserts an enumerator (OBJ_BIG: integers of 40 bits and more, which
 * release 1 kept tagged) in the middle of the object type enum.
 *
 * Usage: tagdict PORT-FILE (listens on 127.0.0.1, any free port).
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

#define TAGDICT_VERSION "tagdict/2"
#define MAX_CLIENTS 64
#define INBUF 1024
#define JOURNAL_MAX 256

/* ---- xmalloc: a 16-byte header (magic, size) in front of each block. ---- */

#define XMAGIC 0x58a1c0deu

struct xhdr {
	uint32_t magic;
	uint32_t pad;
	size_t size;
};

static size_t used_memory;

STF_ALLOCATOR void *xmalloc(size_t size);
STF_ALLOCATOR void *xcalloc(size_t nmemb, size_t size) __attribute__((alloc_size(1, 2)));
STF_ALLOCATOR void *xrealloc(void *ptr, size_t size);
STF_ALLOCATOR char *xstrdup(const char *s);
void xfree(void *ptr);

static struct xhdr *xhdr_of(void *ptr)
{
	struct xhdr *h = (struct xhdr *)((char *)ptr - sizeof(struct xhdr));

	if (h->magic != XMAGIC) {
		fprintf(stderr, "tagdict: bad block %p (magic %#x)\n", ptr, h->magic);
		abort();
	}
	return h;
}

void *xmalloc(size_t size)
{
	struct xhdr *h = malloc(sizeof *h + size);

	if (!h)
		abort();
	h->magic = XMAGIC;
	h->pad = 0;
	h->size = size;
	used_memory += size;
	return h + 1;
}

void *xcalloc(size_t nmemb, size_t size)
{
	return memset(xmalloc(nmemb * size), 0, nmemb * size);
}

void *xrealloc(void *ptr, size_t size)
{
	struct xhdr *h;

	if (!ptr)
		return xmalloc(size);
	h = xhdr_of(ptr);
	used_memory -= h->size;
	h = realloc(h, sizeof *h + size);
	if (!h)
		abort();
	h->size = size;
	used_memory += size;
	return h + 1;
}

char *xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;

	return memcpy(xmalloc(n), s, n);
}

void xfree(void *ptr)
{
	struct xhdr *h;

	if (!ptr)
		return;
	h = xhdr_of(ptr);
	used_memory -= h->size;
	h->magic = 0;
	free(h);
}

/* ---- Values. ---- */

enum otype { OBJ_SHORT = 1, OBJ_BIG, OBJ_STR, OBJ_RAW };

struct obj {                 /* the common header */
	enum otype type;
	unsigned short flags;
	unsigned refs;
};

#define OF_LONG_TEXT 1       /* flags: a text of 64 bytes or more */

struct shortobj {            /* a text of up to 31 bytes, inline */
	struct obj hdr;
	unsigned char len;
	char text[32];
};

struct bigobj {              /* an integer too wide to be tagged */
	struct obj hdr;
	long n;
};

struct strobj {              /* a text ending in "!" or "?", behind char * */
	struct obj hdr;
	unsigned long hash;      /* of the text (0: made by release 1) */
	size_t len;
	char *text;
};

struct rawobj {              /* any other text: raw bytes behind void * */
	struct obj hdr;
	size_t len;
	void *bytes;
};

#define IS_INT(v)   ((uintptr_t)(v) & 1)
#define INT_OF(v)   ((long)(intptr_t)(v) >> 1)
#define DIRTY       ((uintptr_t)2)
#define OBJ_OF(v)   ((struct obj *)((uintptr_t)(v) & ~DIRTY))

static unsigned long hash_text(const char *s)
{
	unsigned long h = 14695981039346656037ul;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ul;
	return h;
}

static void *value_new(const char *text)
{
	size_t len = strlen(text);
	char *end;
	long n;

	errno = 0;
	n = strtol(text, &end, 10);
	if (*text && !*end && !errno && (*text != '0' || !text[1]) && *text != '+' &&
	    *text != ' ') {
		struct bigobj *o;

		if (n > -(1L << 40) && n < (1L << 40))
			return (void *)(((uintptr_t)n << 1) | 1);
		o = xmalloc(sizeof *o);
		o->hdr = (struct obj){ OBJ_BIG, 0, 1 };
		o->n = n;
		return o;
	}
	if (len < sizeof ((struct shortobj *)0)->text) {
		struct shortobj *o = xmalloc(sizeof *o);

		o->hdr = (struct obj){ OBJ_SHORT, 0, 1 };
		o->len = len;
		memcpy(o->text, text, len + 1);
		return o;
	}
	if (text[len - 1] == '!' || text[len - 1] == '?') {
		struct strobj *o = xmalloc(sizeof *o);

		o->hdr = (struct obj){ OBJ_STR, len >= 64 ? OF_LONG_TEXT : 0, 1 };
		o->len = len;
		o->text = xstrdup(text);
		o->hash = hash_text(text);
		return o;
	} else {
		struct rawobj *o = xmalloc(sizeof *o);

		o->hdr = (struct obj){ OBJ_RAW, len >= 64 ? OF_LONG_TEXT : 0, 1 };
		o->len = len;
		o->bytes = memcpy(xmalloc(len), text, len);
		return o;
	}
}

static void value_free(void *v)
{
	struct obj *o = OBJ_OF(v);

	if (IS_INT(v))
		return;
	if (o->type == OBJ_STR)
		xfree(((struct strobj *)o)->text);
	else if (o->type == OBJ_RAW)
		xfree(((struct rawobj *)o)->bytes);
	xfree(o);
}

static void value_format(void *v, char *out, size_t size)
{
	struct obj *o = OBJ_OF(v);

	if (IS_INT(v))
		snprintf(out, size, "%ld", INT_OF(v));
	else if (o->type == OBJ_SHORT)
		snprintf(out, size, "%s", ((struct shortobj *)o)->text);
	else if (o->type == OBJ_BIG)
		snprintf(out, size, "%ld", ((struct bigobj *)o)->n);
	else if (o->type == OBJ_STR)
		snprintf(out, size, "%s", ((struct strobj *)o)->text);
	else
		snprintf(out, size, "%.*s", (int)((struct rawobj *)o)->len,
			 (char *)((struct rawobj *)o)->bytes);
}

/* ---- The dictionary: open addressing, tombstones. ---- */

enum origin { ORIGIN_NEW = 1, ORIGIN_REPLACED = 2 };

#define TOMBSTONE ((char *)-1)

struct slot {
	char *key;          /* NULL: never used; TOMBSTONE: deleted */
	uint32_t hits;      /* GETs since the key was made */
	void *val;          /* tagged; a deleted slot keeps its freed object */
	void *udata;        /* an enum origin */
};

struct dict {
	struct slot *slots;
	size_t size, used, tombs;
};

static struct dict db;

struct vec {
	size_t len, cap;
	void **items;
};

static struct vec journal;     /* char *: copies of keys set since SAVE */

struct client {
	int fd;
	size_t len;
	char in[INBUF];
};

static struct client *clients[MAX_CLIENTS];

static unsigned long hash_key(const char *s)
{
	unsigned long h = 5381;

	while (*s)
		h = h * 33 ^ (unsigned char)*s++;
	return h;
}

static struct slot *dict_find(struct dict *d, const char *key, int for_insert)
{
	size_t i = hash_key(key) & (d->size - 1);
	struct slot *first_tomb = NULL;

	for (;;) {
		struct slot *s = &d->slots[i];

		if (!s->key)
			return for_insert && first_tomb ? first_tomb : for_insert ? s : NULL;
		if (s->key == TOMBSTONE) {
			if (!first_tomb)
				first_tomb = s;
		} else if (strcmp(s->key, key) == 0) {
			return s;
		}
		i = (i + 1) & (d->size - 1);
	}
}

static void dict_grow(struct dict *d)
{
	struct slot *old = d->slots;
	size_t old_size = d->size;

	d->size = old_size ? old_size * 2 : 64;
	d->slots = xcalloc(d->size, sizeof *d->slots);
	d->tombs = 0;
	for (size_t i = 0; i < old_size; i++)
		if (old[i].key && old[i].key != TOMBSTONE)
			*dict_find(d, old[i].key, 1) = old[i];
	xfree(old);
}

static void journal_push(const char *key)
{
	if (journal.len == journal.cap) {
		journal.cap = journal.cap ? journal.cap * 2 : 16;
		journal.items = xrealloc(journal.items, journal.cap * sizeof *journal.items);
	}
	journal.items[journal.len++] = xstrdup(key);
}

static unsigned long save(void)
{
	unsigned long n = 0;

	for (size_t i = 0; i < db.size; i++) {
		struct slot *s = &db.slots[i];

		if (s->key && s->key != TOMBSTONE && !IS_INT(s->val) && ((uintptr_t)s->val & DIRTY)) {
			s->val = OBJ_OF(s->val);
			n++;
		}
	}
	for (size_t i = 0; i < journal.len; i++)
		xfree(journal.items[i]);   /* the pointers stay in the capacity */
	journal.len = 0;
	return n;
}

static void dict_set(const char *key, const char *text)
{
	struct slot *s;
	void *v = value_new(text);

	if ((db.used + db.tombs + 1) * 4 > db.size * 3)
		dict_grow(&db);
	s = dict_find(&db, key, 1);
	if (s->key && s->key != TOMBSTONE) {
		value_free(s->val);
		s->udata = (void *)(intptr_t)ORIGIN_REPLACED;
	} else {
		if (s->key == TOMBSTONE)
			db.tombs--;
		s->key = xstrdup(key);
		s->hits = 0;
		s->udata = (void *)(intptr_t)ORIGIN_NEW;
		db.used++;
	}
	s->val = IS_INT(v) ? v : (void *)((uintptr_t)v | DIRTY);
	if (journal.len == JOURNAL_MAX)
		save();
	journal_push(key);
}

static int dict_del(const char *key)
{
	struct slot *s = dict_find(&db, key, 0);

	if (!s)
		return 0;
	value_free(s->val);     /* s->val keeps the address */
	xfree(s->key);
	s->key = TOMBSTONE;
	db.used--;
	db.tombs++;
	return 1;
}

static const char *verify(char *census, size_t size)
{
	static char why[200];
	unsigned long keys = 0, ints = 0, dirty = 0, tombs = 0;
	size_t memory = xhdr_of(db.slots)->size;

	for (size_t i = 0; i < db.size; i++) {
		struct slot *s = &db.slots[i];
		struct obj *o = OBJ_OF(s->val);

		if (!s->key)
			continue;
		if (s->key == TOMBSTONE) {
			tombs++;
			continue;
		}
		keys++;
		memory += xhdr_of(s->key)->size;
		if (dict_find(&db, s->key, 0) != s) {
			snprintf(why, sizeof why, "'%s' is not where it hashes", s->key);
			return why;
		}
		if ((intptr_t)s->udata != ORIGIN_NEW && (intptr_t)s->udata != ORIGIN_REPLACED) {
			snprintf(why, sizeof why, "udata %p of '%s'", s->udata, s->key);
			return why;
		}
		if (IS_INT(s->val)) {
			ints++;
			continue;
		}
		dirty += ((uintptr_t)s->val & DIRTY) != 0;
		memory += xhdr_of(o)->size;
		if (o->refs != 1) {
			snprintf(why, sizeof why, "refs %u of '%s'", o->refs, s->key);
			return why;
		}
		if (o->type == OBJ_SHORT) {
			struct shortobj *so = (struct shortobj *)o;

			if (strlen(so->text) != so->len)
				return "a short text's length";
		} else if (o->type == OBJ_STR) {
			struct strobj *so = (struct strobj *)o;

			memory += xhdr_of(so->text)->size;
			if (strlen(so->text) != so->len)
				return "a text's length";
			if (so->hash && so->hash != hash_text(so->text))
				return "a text's hash";
			if (so->hash && !!(o->flags & OF_LONG_TEXT) != (so->len >= 64))
				return "a text's flags";
		} else if (o->type == OBJ_RAW) {
			struct rawobj *ro = (struct rawobj *)o;

			memory += xhdr_of(ro->bytes)->size;
			if (ro->len != xhdr_of(ro->bytes)->size)
				return "raw bytes' length";
		} else if (o->type != OBJ_BIG) {
			snprintf(why, sizeof why, "type %d of '%s'", (int)o->type, s->key);
			return why;
		}
	}
	if (journal.items)
		memory += xhdr_of(journal.items)->size;
	for (size_t i = 0; i < journal.len; i++)
		memory += xhdr_of(journal.items[i])->size;
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (clients[i])
			memory += xhdr_of(clients[i])->size;
	if (journal.len > journal.cap || journal.len > JOURNAL_MAX)
		return "journal length";
	if (memory != used_memory) {
		snprintf(why, sizeof why, "used_memory %zu, the blocks' sizes add up to %zu",
			 used_memory, memory);
		return why;
	}
	if (keys != db.used || tombs != db.tombs)
		return "counters";
	snprintf(census, size, "keys=%lu ints=%lu dirty=%lu memory=%zu", keys, ints, dirty, memory);
	return NULL;
}

/* ---- Clients. ---- */

static int listen_fd = -1;

static void request(struct client *c, char *line)
{
	char out[INBUF + 64], val[INBUF], census[160];
	char *cmd = strtok(line, " "), *key = strtok(NULL, " "), *rest = strtok(NULL, "");
	struct slot *s;

	if (!cmd) {
		snprintf(out, sizeof out, "ERR empty\n");
	} else if (strcmp(cmd, "SET") == 0 && key && rest) {
		dict_set(key, rest);
		snprintf(out, sizeof out, "OK\n");
	} else if (strcmp(cmd, "GET") == 0 && key) {
		if ((s = dict_find(&db, key, 0))) {
			s->hits++;
			value_format(s->val, val, sizeof val);
			snprintf(out, sizeof out, "VALUE %s\n", val);
		} else {
			snprintf(out, sizeof out, "NONE\n");
		}
	} else if (strcmp(cmd, "DEL") == 0 && key) {
		snprintf(out, sizeof out, dict_del(key) ? "OK\n" : "NONE\n");
	} else if (strcmp(cmd, "SAVE") == 0) {
		snprintf(out, sizeof out, "SAVED %lu\n", save());
	} else if (strcmp(cmd, "VERSION") == 0) {
		snprintf(out, sizeof out, "VERSION " TAGDICT_VERSION "\n");
	} else if (strcmp(cmd, "VERIFY") == 0) {
		const char *why = verify(census, sizeof census);

		if (why)
			snprintf(out, sizeof out, "VERIFY bad %s\n", why);
		else
			snprintf(out, sizeof out, "VERIFY ok %s\n", census);
	} else {
		snprintf(out, sizeof out, "ERR bad request\n");
	}
	if (write(c->fd, out, strlen(out)) < 0)
		perror("tagdict: write");
}

static int client_read(struct client *c)
{
	ssize_t r = read(c->fd, c->in + c->len, sizeof c->in - c->len);
	char *nl;

	if (r <= 0)
		return r < 0 && errno == EINTR ? 0 : -1;
	c->len += r;
	while ((nl = memchr(c->in, '\n', c->len))) {
		size_t n = nl - c->in + 1;

		*nl = '\0';
		request(c, c->in);
		c->len -= n;
		memmove(c->in, c->in + n, c->len);
	}
	return c->len == sizeof c->in ? -1 : 0;
}

static void client_close(int i)
{
	close(clients[i]->fd);
	xfree(clients[i]);
	clients[i] = NULL;
}

static void accept_client(void)
{
	int fd = accept(listen_fd, NULL, NULL), one = 1;

	if (fd < 0)
		return;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	for (int i = 0; i < MAX_CLIENTS; i++)
		if (!clients[i]) {
			clients[i] = xcalloc(1, sizeof *clients[i]);
			clients[i]->fd = fd;
			return;
		}
	close(fd);
}

int main(int argc, char **argv)
{
	struct pollfd pfd[MAX_CLIENTS + 1];

	if (argc != 2) {
		fprintf(stderr, "usage: tagdict PORT-FILE\n");
		return 2;
	}
	if (!stf_is_updating()) {
		dict_grow(&db);
		listen_fd = listen_loopback("tagdict", SOCK_STREAM, argv[1]);
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
			perror("tagdict: poll");
			return 1;
		}
		if (pfd[0].revents & POLLIN)
			accept_client();
		for (int i = 0; i < MAX_CLIENTS; i++)
			if (clients[i] && (pfd[i + 1].revents & (POLLIN | POLLHUP | POLLERR)) &&
			    client_read(clients[i]) < 0)
				client_close(i);
	}
}
