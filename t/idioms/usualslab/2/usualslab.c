/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * usualslab 2 - a cache whose items come from a slab made at startup with
 * the size of the item, the way libusual's slab (pgbouncer's
 * slab_create("client_cache", sizeof(PgSocket), ...)) and memcached's
 * slab classes are: an idiom test server of ttst (t/idioms/usualslab.sh).
 * Single-threaded, poll(), one request line, one reply line:
 *
 *   SET key value -> OK | ERR too long    GET key -> VALUE value | NONE
 *   DEL key       -> OK | NONE            VERSION -> VERSION 2
 *   VERIFY        -> VERIFY ok items=n slabs=n free=n | VERIFY bad ...
 *
 * slab_create, called at every start, allocates the slab class and sets
 * its chunk size to sizeof(struct item); slab_alloc(cls), declared
 * STF_ALLOCATOR, takes no size: it hands out chunks of that size from
 * 64 KB slabs, a freed chunk going on the free list linked through its
 * first word.  Items point to items (hash chains, the LRU list), keep the
 * number of the client that set them in a `void *`, and are listed in
 * all_items, whose removals leave the old last slot as it was.
 *
 * Release 2 (this one) adds a CAS number and the time of the last SET to
 * struct item, which then no longer fits the chunks of release 1's slab:
 * the update gives every item a chunk of the slab this release's startup
 * made.  An item freed before the update is still known to libstf as an
 * object of slab_alloc (nothing tells it of slab_free), so it gets a
 * chunk too, outside the free list: VERIFY counts those as carried.
 *
 * Usage: usualslab PORT-FILE (listens on 127.0.0.1, any free port).
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
#include <time.h>
#include <unistd.h>

#include <stf.h>
#include "../../port-listener.h"

#define USUALSLAB_VERSION "2"
#define MAX_CLIENTS 64
#define INBUF 1024
#define SLAB_SIZE 65536
#define ITEM_DATA 64           /* key, NUL, value, NUL */
#define HASH_BUCKETS 4096

/* ---- Slab allocator. ---- */

struct slabclass {
	size_t size;             /* bytes of a chunk */
	unsigned perslab;        /* chunks per slab */
	void *slots;             /* free chunks, linked through their first word */
	unsigned sl_curr;        /* chunks on the free list */
	char *end_page_ptr;      /* next never-used chunk of the newest slab */
	unsigned end_page_free;  /* never-used chunks left there */
	void **slab_list;        /* every slab; capacity list_size */
	unsigned slabs, list_size;
};

static struct slabclass *item_class;

static struct slabclass *slab_create(size_t size)
{
	struct slabclass *cls = calloc(1, sizeof *cls);

	if (cls) {
		cls->size = (size + 7) & ~(size_t)7;
		cls->perslab = SLAB_SIZE / cls->size;
	}
	return cls;
}

STF_ALLOCATOR void *slab_alloc(struct slabclass *cls);
void slab_free(struct slabclass *cls, void *ptr);

static int grow_slab_list(struct slabclass *cls)
{
	if (cls->slabs == cls->list_size) {
		size_t size = cls->list_size ? cls->list_size * 2 : 16;
		void **list = realloc(cls->slab_list, size * sizeof *list);

		if (!list)
			return -1;
		cls->slab_list = list;
		cls->list_size = size;
	}
	return 0;
}

static int new_slab(struct slabclass *cls)
{
	char *slab;

	if (grow_slab_list(cls) < 0 || !(slab = malloc(SLAB_SIZE)))
		return -1;
	cls->end_page_ptr = slab;
	cls->end_page_free = cls->perslab;
	cls->slab_list[cls->slabs++] = slab;
	return 0;
}

void *slab_alloc(struct slabclass *cls)
{
	void *ret;

	if (cls->sl_curr) {
		ret = cls->slots;
		cls->slots = *(void **)ret;
		cls->sl_curr--;
		return ret;
	}
	if (!cls->end_page_free && new_slab(cls) < 0)
		return NULL;
	ret = cls->end_page_ptr;
	cls->end_page_ptr += cls->size;
	cls->end_page_free--;
	return ret;
}

void slab_free(struct slabclass *cls, void *ptr)
{
	*(void **)ptr = cls->slots;
	cls->slots = ptr;
	cls->sl_curr++;
}

/* The chunk lies at a chunk boundary of one of the class's slabs. */
static int chunk_ok(const struct slabclass *cls, const void *ptr)
{
	for (unsigned i = 0; i < cls->slabs; i++) {
		const char *slab = cls->slab_list[i];

		if ((const char *)ptr >= slab && (const char *)ptr < slab + cls->perslab * cls->size)
			return ((const char *)ptr - slab) % cls->size == 0;
	}
	return 0;
}

/* ---- Items. ---- */

struct item {
	struct item *h_next;         /* hash chain */
	struct item *prev, *next;    /* LRU list, most recently set first */
	void *setter;                /* number of the client that set it, as a pointer */
	unsigned pos;                /* index in all_items */
	uint8_t nkey, nvalue;        /* lengths without the NULs */
	char data[ITEM_DATA];
	uint64_t cas;                /* 0: set by release 1 */
	long set_at;                 /* time of the last SET, 0: set by release 1 */
};

struct stats {
	unsigned sets, gets, hits, dels;
};

static struct item *hashtable[HASH_BUCKETS];
static struct item *lru_head, *lru_tail;
static struct item **all_items;      /* [0, nitems): capacity items_cap */
static size_t nitems, items_cap;
static unsigned next_client_number = 1;
static struct stats stats;
static uint64_t last_cas;

static const char *item_key(const struct item *it) { return it->data; }
static const char *item_value(const struct item *it) { return it->data + it->nkey + 1; }

static unsigned hash_key(const char *s)
{
	unsigned h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

static struct item **item_link(const char *key)
{
	struct item **link = &hashtable[hash_key(key) % HASH_BUCKETS];

	while (*link && strcmp(item_key(*link), key) != 0)
		link = &(*link)->h_next;
	return link;
}

static void lru_unlink(struct item *it)
{
	if (it->prev)
		it->prev->next = it->next;
	else
		lru_head = it->next;
	if (it->next)
		it->next->prev = it->prev;
	else
		lru_tail = it->prev;
}

static void lru_push(struct item *it)
{
	it->prev = NULL;
	it->next = lru_head;
	if (lru_head)
		lru_head->prev = it;
	else
		lru_tail = it;
	lru_head = it;
}

/* Store; -1 when it does not fit an item or memory is out. */
static int item_set(const char *key, const char *value, unsigned client_number)
{
	size_t nkey = strlen(key), nvalue = strlen(value);
	struct item **link = item_link(key), *it = *link;

	if (nkey + nvalue + 2 > ITEM_DATA)
		return -1;
	if (!it) {
		if (nitems == items_cap) {
			size_t cap = items_cap ? items_cap * 2 : 64;
			struct item **bigger = realloc(all_items, cap * sizeof *bigger);

			if (!bigger)
				return -1;
			all_items = bigger;
			items_cap = cap;
		}
		if (!(it = slab_alloc(item_class)))
			return -1;
		it->h_next = NULL;
		*link = it;
		it->pos = nitems;
		all_items[nitems++] = it;
	} else {
		lru_unlink(it);
	}
	lru_push(it);
	it->cas = ++last_cas;
	it->set_at = (long)time(NULL);
	it->setter = (void *)(intptr_t)client_number;
	it->nkey = nkey;
	it->nvalue = nvalue;
	memcpy(it->data, key, nkey + 1);
	memcpy(it->data + nkey + 1, value, nvalue + 1);
	return 0;
}

static int item_del(const char *key)
{
	struct item **link = item_link(key), *it = *link;

	if (!it)
		return 0;
	*link = it->h_next;
	lru_unlink(it);
	all_items[it->pos] = all_items[--nitems];   /* the old last slot keeps its value */
	all_items[it->pos]->pos = it->pos;
	slab_free(item_class, it);
	return 1;
}

/* ---- VERIFY. ---- */

static char verify_why[200];

static int bad(const char *what, const struct item *it)
{
	snprintf(verify_why, sizeof verify_why, "%s%s%s", what, it ? " at item " : "",
		 it ? item_key(it) : "");
	return -1;
}

static int verify(void)
{
	size_t n = 0, lru = 0, used;
	const struct item *prev = NULL;

	for (unsigned b = 0; b < HASH_BUCKETS; b++) {
		for (const struct item *it = hashtable[b]; it; it = it->h_next, n++) {
			if (!chunk_ok(item_class, it))
				return bad("item outside the slabs", NULL);
			if (it->nkey + it->nvalue + 2 > ITEM_DATA || strlen(item_key(it)) != it->nkey ||
			    strlen(item_value(it)) != it->nvalue || hash_key(item_key(it)) % HASH_BUCKETS != b)
				return bad("key or value", it);
			if (it->pos >= nitems || all_items[it->pos] != it)
				return bad("all_items", it);
			if (it->cas > last_cas || it->set_at < 0)
				return bad("CAS number or time", it);
			if ((intptr_t)it->setter <= 0 || (intptr_t)it->setter >= next_client_number)
				return bad("setter", it);
		}
	}
	for (const struct item *it = lru_head; it; prev = it, it = it->next, lru++)
		if (it->prev != prev || lru > n)
			return bad("LRU list", it);
	if (n != nitems || lru != n || prev != lru_tail)
		return bad("census of the hash table, LRU list and all_items", NULL);
	n = 0;
	for (void *chunk = item_class->slots; chunk; chunk = *(void **)chunk, n++)
		if (!chunk_ok(item_class, chunk) || n > item_class->sl_curr)
			return bad("free list", NULL);
	used = (size_t)item_class->slabs * item_class->perslab - item_class->end_page_free;
	/* chunks of items freed before the update that grew struct item are
	 * used too (see the top) */
	if (n != item_class->sl_curr || used < nitems + n || item_class->slabs > item_class->list_size)
		return bad("slab census", NULL);
	return 0;
}

/* ---- Requests. ---- */

struct client {
	int fd;
	unsigned number;    /* from 1, in order of connection */
	size_t inlen;
	char in[INBUF];
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
	char *arg = strchr(line, ' '), *rest = NULL, out[INBUF + 16];
	struct item *it;

	if (arg) {
		*arg++ = '\0';
		rest = strchr(arg, ' ');
		if (rest)
			*rest++ = '\0';
	}
	if (strcmp(line, "SET") == 0 && arg && rest) {
		stats.sets++;
		reply(c, item_set(arg, rest, c->number) < 0 ? "ERR too long\n" : "OK\n");
	} else if (strcmp(line, "GET") == 0 && arg) {
		stats.gets++;
		if ((it = *item_link(arg))) {
			stats.hits++;
			snprintf(out, sizeof out, "VALUE %s\n", item_value(it));
			reply(c, out);
		} else {
			reply(c, "NONE\n");
		}
	} else if (strcmp(line, "DEL") == 0 && arg) {
		stats.dels++;
		reply(c, item_del(arg) ? "OK\n" : "NONE\n");
	} else if (strcmp(line, "VERSION") == 0) {
		reply(c, "VERSION " USUALSLAB_VERSION "\n");
	} else if (strcmp(line, "VERIFY") == 0) {
		if (verify() < 0)
			snprintf(out, sizeof out, "VERIFY bad %s\n", verify_why);
		else
			snprintf(out, sizeof out, "VERIFY ok items=%zu slabs=%u free=%u\n",
				 nitems, item_class->slabs, item_class->sl_curr);
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
	free(clients[slot]);
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
	clients[i] = calloc(1, sizeof *clients[i]);
	if (!clients[i]) {
		close(fd);
		return;
	}
	clients[i]->fd = fd;
	clients[i]->number = next_client_number++;
}

static int listen_fd = -1;

int main(int argc, char **argv)
{
	struct pollfd pfd[MAX_CLIENTS + 1];

	if (argc != 2) {
		fprintf(stderr, "usage: usualslab PORT-FILE\n");
		return 2;
	}
	item_class = slab_create(sizeof(struct item));
	if (!item_class) {
		perror("usualslab: slab_create");
		return 1;
	}
	if (!stf_is_updating())
		listen_fd = listen_loopback("usualslab", SOCK_STREAM, argv[1]);
	for (;;) {
		stf_update_point();
		pfd[0] = (struct pollfd){ .fd = listen_fd, .events = POLLIN };
		for (int i = 0; i < MAX_CLIENTS; i++)
			pfd[i + 1] = (struct pollfd){ .fd = clients[i] ? clients[i]->fd : -1,
						      .events = POLLIN };
		if (poll(pfd, MAX_CLIENTS + 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			perror("usualslab: poll");
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
