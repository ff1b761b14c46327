/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Slab caches embedded in heap objects: each server is a heap object
 * made by make_server() at every start (the admin server first, then the
 * main one: ranks 0 and 1 of that allocation site), holding two caches,
 * conns and sessions (slab_alloc(&srv->conns), declared STF_ALLOCATOR;
 * slots carved out of malloc'd chunks, given back to a free list by
 * slab_free, its partner by name).  Version 2 (built with -DV2) grows
 * struct conn and struct server (a member before the caches, so their
 * offsets change); struct session keeps its size.  The main server is
 * transferred into the new startup's main server (same site, same rank),
 * whose conns cache keeps the state its startup gave it: the grown conns
 * get slots of it; the admin server's sessions stay in place.  With
 * -DLATE version 2 makes its main server only when not updating: no
 * object of the new startup stands for the old one, and the update must
 * roll back naming the conn and why. */
#include "xt.h"

#define PER_CHUNK 8

struct slab {
	size_t size;
	void *free;
	char *cursor;
	unsigned left;
	unsigned out;
};

struct conn {
	struct conn *next;
	int fd;
	long served;
#ifdef V2
	char peer[40];            /* new */
#endif
};

struct session {
	struct session *next;
	long id;
};

struct server {
#ifdef V2
	long started;             /* new: the caches move 8 bytes on */
#endif
	int port;
	struct slab conns;
	struct slab sessions;
	struct conn *active;
	struct session *open;
	long accepted;
};

struct server *admin, *main_srv;  /* not static: kept at -O2 */

static void slab_init(struct slab *s, size_t size)
{
	memset(s, 0, sizeof(*s));
	s->size = size;
}

STF_ALLOCATOR void *slab_alloc(struct slab *s);
void *slab_alloc(struct slab *s)
{
	s->out++;
	if (s->free) {
		void *p = s->free;
		s->free = *(void **)p;
		return p;
	}
	if (!s->left) {
		s->cursor = malloc(PER_CHUNK * s->size);
		s->left = PER_CHUNK;
	}
	void *p = s->cursor;
	s->cursor += s->size;
	s->left--;
	return p;
}

void slab_free(struct slab *s, void *p);
void slab_free(struct slab *s, void *p)
{
	s->out--;
	*(void **)p = s->free;
	s->free = p;
}

static struct server *make_server(int port)
{
	struct server *s = calloc(1, sizeof(*s));
	s->port = port;
	slab_init(&s->conns, sizeof(struct conn));
	slab_init(&s->sessions, sizeof(struct session));
	return s;
}

static struct conn *conn_new(struct server *s, int fd)
{
	struct conn *c = slab_alloc(&s->conns);
	c->fd = fd;
	c->served = (fd - 100) * 10;
	c->next = s->active;
	s->active = c;
	s->accepted++;
	return c;
}

static struct session *session_new(struct server *s, long id)
{
	struct session *x = slab_alloc(&s->sessions);
	x->id = id;
	x->next = s->open;
	s->open = x;
	return x;
}

static void init(void)
{
	for (int i = 0; i < 13; i++)
		conn_new(main_srv, 100 + i);
	for (int i = 0; i < 5; i++)
		session_new(admin, 500 + i);
	/* every third conn closed */
	for (struct conn **pp = &main_srv->active; *pp;) {
		struct conn *c = *pp;
		if (c->fd % 3 == 0) {
			*pp = c->next;
			slab_free(&main_srv->conns, c);
		} else {
			pp = &c->next;
		}
	}
}

int main(void)
{
	admin = make_server(9000);
#if defined(V2) && defined(LATE)
	if (!stf_is_updating())
#endif
		main_srv = make_server(7000);
#ifndef V2
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
#else
	XT_V2_RECEIVE(init);
	CHECK(main_srv->port == 7000 && main_srv->accepted == 13 && main_srv->started == 0);
	CHECK(admin->port == 9000 && admin->accepted == 0);
	CHECK(main_srv->conns.size == sizeof(struct conn));
	unsigned n = 0;
	for (struct conn *c = main_srv->active; c; c = c->next, n++)
		CHECK(c->fd % 3 && c->served == (c->fd - 100) * 10);
	CHECK(n == 9 && main_srv->conns.out == n);
	long ids = 0;
	for (struct session *x = admin->open; x; x = x->next)
		ids += x->id;
	CHECK(ids == 500 + 501 + 502 + 503 + 504);
	for (int round = 0; round < 10; round++) {
		struct conn *fresh[6];
		for (int i = 0; i < 6; i++) {
			fresh[i] = slab_alloc(&main_srv->conns);
			memset(fresh[i], 0xee, sizeof(struct conn));
		}
		for (int i = 0; i < 6; i++)
			slab_free(&main_srv->conns, fresh[i]);
		CHECK(session_new(admin, 600 + round) != NULL);
		for (struct conn *c = main_srv->active; c; c = c->next)
			CHECK(c->served == (c->fd - 100) * 10);
	}
	XT_V2_RESULT();
#endif
}
