/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A size-prefixing STF_ALLOCATOR whose 16-byte header holds a type tag
 * and the size in 32-bit halves, then a magic ({kind, size, magic}): the
 * program tells its objects apart by the tag (a `switch` in obj_check and
 * obj_release), frees and reallocates them through the user pointer.  Both
 * structs grow in version 2 (a member before the old ones): after the
 * commit the header must still carry its tag and magic, and say the new
 * size (obj_resize copies header->size bytes), and the counter of bytes
 * in use must count it; the state stays whole for a chained update.
 * Variants (wrap19-*): a 24-byte header (-DHDR24: an owner pointer too),
 * the magic in a union with a free-list link (-DUNION_HDR), a return of
 * `(char *)h + sizeof *h` (-DCHAR_RETURN), structs that keep their layout
 * (-DSAME_LAYOUT). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "xt.h"

#define MAGIC 0x7461677772617021ull
#define NOBJS 6

enum kind { K_CONN = 3, K_BUF = 9 };

struct hdr {
	uint32_t kind;
	uint32_t size;
#ifdef UNION_HDR
	union {
		uint64_t magic;
		struct hdr *next_free; /* while the block is free */
	} u;
#define HDR_MAGIC(h) ((h)->u.magic)
#else
	uint64_t magic;
#define HDR_MAGIC(h) ((h)->magic)
#endif
#ifdef HDR24
	void *owner;
#endif
};

static size_t used_bytes;

#ifndef PLAIN /* -DPLAIN: not declared so (hunt19-tagwrap-plain) */
static void *obj_new(enum kind kind, size_t n) STF_ALLOCATOR;
#endif

static void *obj_new(enum kind kind, size_t n)
{
	struct hdr *h = malloc(sizeof *h + n);
	if (!h)
		abort();
	h->kind = kind;
	h->size = (uint32_t)n;
	HDR_MAGIC(h) = MAGIC;
#ifdef HDR24
	h->owner = &used_bytes;
#endif
	used_bytes += n;
#ifdef CHAR_RETURN
	return (char *)h + sizeof *h;
#else
	return h + 1;
#endif
}

static struct hdr *obj_hdr(void *p)
{
	return (struct hdr *)p - 1;
}

/* realloc through the wrapper: the copy is header->size bytes */
static void *obj_resize(void *p, size_t n)
{
	struct hdr *h = obj_hdr(p);
	void *q = obj_new((enum kind)h->kind, n);
	memcpy(q, p, h->size < n ? h->size : n);
	used_bytes -= h->size;
	free(h);
	return q;
}

static void obj_free(void *p)
{
	struct hdr *h = obj_hdr(p);
	used_bytes -= h->size;
	free(h);
}

#if defined(V2) && !defined(SAME_LAYOUT)
#define GROWS
#endif

struct conn {
#ifdef GROWS
	long served; /* new in 2 */
#endif
	int fd;
	struct buf *out;
};

struct buf {
#ifdef GROWS
	struct buf *spare; /* new in 2 */
#endif
	size_t len;
	char text[24];
};

static void *objs[NOBJS];

static void init(void)
{
	for (int i = 0; i < NOBJS; i += 2) {
		struct buf *b = obj_new(K_BUF, sizeof(*b));
		b->len = (size_t)snprintf(b->text, sizeof(b->text), "buffer %d", i);
		struct conn *c = obj_new(K_CONN, sizeof(*c));
		c->fd = 100 + i;
		c->out = b;
		objs[i] = c;
		objs[i + 1] = b;
	}
}

/* what the tag says the object is, checked */
static int obj_check(int i)
{
	struct hdr *h = obj_hdr(objs[i]);
	if (HDR_MAGIC(h) != MAGIC)
		return 0;
#ifdef HDR24
	if (h->owner != &used_bytes)
		return 0;
#endif
	switch (h->kind) {
	case K_CONN: {
		struct conn *c = objs[i];
		return h->size == sizeof(*c) && c->fd == 100 + i && c->out == objs[i + 1];
	}
	case K_BUF: {
		struct buf *b = objs[i];
		char want[24];
		snprintf(want, sizeof(want), "buffer %d", i - 1);
		return h->size == sizeof(*b) && b->len == strlen(want) && !strcmp(b->text, want);
	}
	}
	return 0;
}

static void check(void)
{
	for (int i = 0; i < NOBJS; i++)
		CHECK(obj_check(i));
	CHECK(used_bytes == NOBJS / 2 * (sizeof(struct conn) + sizeof(struct buf)));
#ifdef V2
	/* after the commit: reallocate a buffer through its header (a copy
	 * of header->size bytes) and a connection through free and new */
	struct buf *b = obj_resize(objs[1], sizeof(struct buf));
	CHECK(obj_hdr(b)->kind == K_BUF && !strcmp(b->text, "buffer 0"));
	objs[1] = b;
	struct conn *c = obj_new(K_CONN, sizeof(*c));
	*c = *(struct conn *)objs[0];
	c->out = b;
	obj_free(objs[0]);
	objs[0] = c;
	for (int i = 0; i < NOBJS; i++)
		CHECK(obj_check(i));
	CHECK(used_bytes == NOBJS / 2 * (sizeof(struct conn) + sizeof(struct buf)));
#endif
}

XT_MAIN_CHECKED(init, check)
