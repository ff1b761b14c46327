/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A size-prefixing wrapper not declared STF_ALLOCATOR (unless -DDECLARED)
 * in the shapes the plugin must see through: a header of 16 bytes, of 24
 * (-DHDR24: an owner pointer too), a header holding a union (-DUNION_HDR:
 * the magic shares its word with a free-list link), and a return of
 * `(char *)h + sizeof *h` (-DCHAR_RETURN) rather than `h + 1`.  The
 * objects past the header are reached only through `void *objs[]` and
 * tell their type by the header's tag.  Both structs grow in version 2
 * (a member before the old ones) unless -DSAME_LAYOUT: undeclared, the
 * grown structs would be copied as the header's type says and read with
 * the new layout, so the update must roll back naming obj_new and
 * STF_ALLOCATOR; with the layout kept, or the wrapper declared, it
 * commits and version 2 finds every object whole. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "xt.h"

#define MAGIC 0x777261703139ull
#define NOBJS 6

enum kind { K_CONN = 5, K_BUF = 11 };

struct hdr {
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
	uint32_t kind;
	uint32_t size;
#ifdef HDR24
	void *owner;
#endif
};

static size_t used_bytes;

#ifdef DECLARED
static void *obj_new(enum kind kind, size_t n) STF_ALLOCATOR;
#endif

static void *obj_new(enum kind kind, size_t n)
{
	struct hdr *h = malloc(sizeof *h + n);
	if (!h)
		abort();
	HDR_MAGIC(h) = MAGIC;
	h->kind = kind;
	h->size = (uint32_t)n;
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

#if defined(V2) && !defined(SAME_LAYOUT)
#define GROWN(member) member;
#else
#define GROWN(member)
#endif

struct conn {
	GROWN(long served)
	int fd;
	struct buf *out;
};

struct buf {
	GROWN(struct buf *spare)
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
		c->fd = 200 + i;
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
		return h->size == sizeof(*c) && c->fd == 200 + i && c->out == objs[i + 1];
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
}

XT_MAIN_CHECKED(init, check)
