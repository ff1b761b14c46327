/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A size-class allocator (talloc's or memcached's shape without the
 * class argument): xalloc(size), declared STF_ALLOCATOR, picks the
 * smallest of its classes (a static array of caches of 16, 32, 64 and
 * 128-byte slots) that holds size and hands out a slot of it; xfree(p,
 * size) gives it back to the same class (xalloc's partner by name).
 * Version 2 (built with -DV2) grows struct conn from the 32-byte class
 * into the 64-byte one, unless built with -DSAME.  A grown conn does not
 * fit its slot, and moved out to a heap block of its own it would later
 * be given back to the 64-byte class as one of its slots: the update
 * must roll back naming the conn, xalloc and why, never commit with
 * conns in slots too small.  With -DSAME the conns keep their places and
 * come and go after the commit.  With -DLAZY the classes are set up by
 * their first xalloc, their slot sizes by arithmetic (no member holds
 * them), so the new version's startup leaves them all zero: the update
 * rolled back ("left its classes unset") until a size-only allocator's
 * classes could be set up lazily.  With -DMATES a note takes 24 bytes,
 * so notes and conns are carved from the same chunks of the 32-byte
 * class: the update rolled back ("handed out by the same block ... but
 * not this object's allocator") until the notes got slots of the new
 * version's classes too. */
#include "xt.h"

#define NCLASS 4
#define PER_CHUNK 16

struct cache {
	size_t size;
	void *free;
	char *cursor;
	unsigned left;
	unsigned out;
};

static struct cache classes[NCLASS];

struct conn {
	struct conn *next;
	int fd;
	long served;
#if defined(V2) && !defined(SAME)
	char peer[32];            /* new: 56 bytes, the 64-byte class */
#endif
};

struct note {                     /* 16 bytes: the 16-byte class */
	struct note *next;
	long n;
#ifdef MATES
	long twice;               /* 24 bytes: the conns' class */
#endif
};

struct conn *conns;               /* not static: kept at -O2 */
struct note *notes;

static void classes_init(void)
{
#ifndef LAZY
	for (int k = 0; k < NCLASS; k++)
		classes[k].size = (size_t)16 << k;
#endif
}

static size_t slot_size(const struct cache *c)
{
#ifdef LAZY
	return (size_t)16 << (c - classes);
#else
	return c->size;
#endif
}

static struct cache *class_of(size_t size)
{
	for (int k = 0; k < NCLASS; k++)
		if (size <= slot_size(&classes[k]))
			return &classes[k];
	abort();
}

STF_ALLOCATOR void *xalloc(size_t size);
void *xalloc(size_t size)
{
	struct cache *c = class_of(size);
	c->out++;
	if (c->free) {
		void *p = c->free;
		c->free = *(void **)p;
		return p;
	}
	if (!c->left) {
		c->cursor = malloc(PER_CHUNK * slot_size(c));
		c->left = PER_CHUNK;
	}
	void *p = c->cursor;
	c->cursor += slot_size(c);
	c->left--;
	return p;
}

void xfree(void *p, size_t size);
void xfree(void *p, size_t size)
{
	struct cache *c = class_of(size);
	c->out--;
	*(void **)p = c->free;
	c->free = p;
}

static void init(void)
{
	for (int i = 0; i < 12; i++) {
		struct conn *c = xalloc(sizeof(struct conn));
		c->fd = 100 + i;
		c->served = i * 10;
		if (i % 4 == 3) {
			xfree(c, sizeof(struct conn));
			continue;
		}
		c->next = conns;
		conns = c;
		struct note *n = xalloc(sizeof(struct note));
		n->n = i;
#ifdef MATES
		n->twice = 2 * i;
#endif
		n->next = notes;
		notes = n;
	}
}

int main(void)
{
	classes_init();
#ifndef V2
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
#else
	XT_V2_RECEIVE(init);
	unsigned n = 0;
	for (struct conn *c = conns; c; c = c->next, n++)
		CHECK(c->fd >= 100 && c->served == (c->fd - 100) * 10 && (c->fd - 100) % 4 != 3);
	CHECK(n == 9);
	n = 0;
	for (struct note *t = notes; t; t = t->next, n++) {
		CHECK(t->n >= 0 && t->n < 12 && t->n % 4 != 3);
#ifdef MATES
		CHECK(t->twice == 2 * t->n);
#endif
	}
	CHECK(n == 9);
	for (int round = 0; round < 10; round++) {
		struct conn *fresh[5];
		for (int i = 0; i < 5; i++) {
			fresh[i] = xalloc(sizeof(struct conn));
			memset(fresh[i], 0xee, sizeof(struct conn));
		}
		for (int i = 0; i < 5; i++)
			xfree(fresh[i], sizeof(struct conn));
		for (struct conn *c = conns; c; c = c->next)
			CHECK(c->served == (c->fd - 100) * 10);
	}
	/* the received conns are given back to their class as they go */
	while (conns) {
		struct conn *c = conns;
		conns = c->next;
		xfree(c, sizeof(struct conn));
	}
	for (int i = 0; i < 20; i++)
		CHECK(xalloc(sizeof(struct conn)) != NULL);
	XT_V2_RESULT();
#endif
}
