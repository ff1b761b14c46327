/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Caches in the allocator's own statics chosen by an integer:
 * obj_alloc(KIND_CONN), declared STF_ALLOCATOR, hands out a slot of
 * caches[kind], whose slot sizes the startup sets at every start
 * (caches_init: sizeof each kind's struct); obj_free(kind, p) gives one
 * back (obj_alloc's partner by name).  Version 2 (built with -DV2) grows
 * struct conn, unless built with -DSAME.  The cache is no argument of
 * obj_alloc (an integer chooses it), so a grown conn cannot be given a
 * slot of the new version's cache: the update must roll back naming the
 * conn, obj_alloc and why, never commit with conns in slots too small.
 * With -DSAME the conns and sessions keep their places and come and go
 * after the commit. */
#include "xt.h"

#define PER_CHUNK 8

enum kind { KIND_CONN, KIND_SESSION, NKINDS };

struct cache {
	size_t size;
	void *free;
	char *cursor;
	unsigned left;
	unsigned out;
};

static struct cache caches[NKINDS];

struct conn {
	struct conn *next;
	int fd;
	long served;
#if defined(V2) && !defined(SAME)
	char peer[32];            /* new */
#endif
};

struct session {
	struct session *next;
	long id;
	struct conn *conn;
};

struct conn *conns;               /* not static: kept at -O2 */
struct session *sessions;

static void caches_init(void)
{
	caches[KIND_CONN].size = sizeof(struct conn);
	caches[KIND_SESSION].size = sizeof(struct session);
}

STF_ALLOCATOR void *obj_alloc(int kind);
void *obj_alloc(int kind)
{
	struct cache *c = &caches[kind];
	c->out++;
	if (c->free) {
		void *p = c->free;
		c->free = *(void **)p;
		return p;
	}
	if (!c->left) {
		c->cursor = malloc(PER_CHUNK * c->size);
		c->left = PER_CHUNK;
	}
	void *p = c->cursor;
	c->cursor += c->size;
	c->left--;
	return p;
}

void obj_free(int kind, void *p);
void obj_free(int kind, void *p)
{
	caches[kind].out--;
	*(void **)p = caches[kind].free;
	caches[kind].free = p;
}

static void init(void)
{
	for (int i = 0; i < 12; i++) {
		struct conn *c = obj_alloc(KIND_CONN);
		c->fd = 100 + i;
		c->served = i * 10;
		if (i % 4 == 3) {
			obj_free(KIND_CONN, c);
			continue;
		}
		c->next = conns;
		conns = c;
		struct session *s = obj_alloc(KIND_SESSION);
		s->id = 1000 + i;
		s->conn = c;
		s->next = sessions;
		sessions = s;
	}
}

#ifdef NEVER
int idle = 1;                     /* obj_alloc never called (slabkind-idle) */
#else
int idle;
#endif

int main(void)
{
	caches_init();
#ifndef V2
	if (!stf_is_updating() && !idle)
		init();
	XT_V1_LOOP();
#else
	XT_V2_RECEIVE(init);
	CHECK(caches[KIND_CONN].size == sizeof(struct conn));
	unsigned n = 0;
	for (struct conn *c = conns; c; c = c->next, n++)
		CHECK(c->fd >= 100 && c->served == (c->fd - 100) * 10 && (c->fd - 100) % 4 != 3);
	CHECK(n == 9);
	for (struct session *s = sessions; s; s = s->next)
		CHECK(s->conn && s->conn->fd - 100 == s->id - 1000);
	for (int round = 0; round < 10; round++) {
		struct conn *fresh[5];
		for (int i = 0; i < 5; i++) {
			fresh[i] = obj_alloc(KIND_CONN);
			memset(fresh[i], 0xee, sizeof(struct conn));
		}
		for (int i = 0; i < 5; i++)
			obj_free(KIND_CONN, fresh[i]);
		for (struct conn *c = conns; c; c = c->next)
			CHECK(c->served == (c->fd - 100) * 10);
	}
	XT_V2_RESULT();
#endif
}
