/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Values behind `void *` whose type only the tag in a size-prefixing
 * STF_ALLOCATOR's header tells (t/idioms/robjd): strings of raw bytes
 * made by a constructor, string_new(), returning zmalloc's block, and
 * counters (struct counter, 8 bytes) made where they are used.  The code
 * reads a value as a counter when its header says so.  Some strings are
 * 8 bytes long, the counter's size.  Version 2 grows the counter.  With
 * TAGLEN (huntc22-taglen) the constructor takes the length. */
#include <stdint.h>
#include <stdlib.h>
#include "xt.h"

#define NVALS 8
enum { T_STRING = 1, T_COUNTER };

struct zhdr {
	uint64_t size;
	uint32_t type;
	uint32_t refcount;
};

STF_ALLOCATOR void *zmalloc(size_t size, int type);

void *zmalloc(size_t size, int type)
{
	struct zhdr *h = malloc(sizeof *h + size);

	if (!h)
		abort();
	h->size = size;
	h->type = (uint32_t)type;
	h->refcount = 1;
	return h + 1;
}

static struct zhdr *hdr(const void *p)
{
	return (struct zhdr *)p - 1;
}

struct counter {
	long value;
#ifdef V2
	long step;
#endif
};

#ifdef TAGLEN
static void *string_newlen(const char *s, size_t n)
#define string_new(s) string_newlen(s, strlen(s))
#else
static void *string_new(const char *s)
#endif
{
#ifndef TAGLEN
	size_t n = strlen(s);
#endif
	char *o = zmalloc(n, T_STRING);

	memcpy(o, s, n);
	return o;
}

struct slot {
	long key;
	void *val;
};

struct slot slots[NVALS]; /* extern: kept at -O2 */
#define vals(i) slots[i].val

static __attribute__((noinline)) long value_of(int i)
{
	if (hdr(vals(i))->type == T_COUNTER) {
		struct counter *ct = vals(i);
		return ct->value;
	}
	return (long)hdr(vals(i))->size;
}

static __attribute__((noinline)) void init(void)
{
	static const char *texts[NVALS / 2] = { "shared-1", "abcdefgh", "short", "a longer text of 24 byte" };

	for (int i = 0; i < NVALS; i += 2) {
		struct counter *ct = zmalloc(sizeof *ct, T_COUNTER);

		ct->value = 100 + i;
		vals(i) = ct;
		vals(i + 1) = string_new(texts[i / 2]);
	}
	for (int i = 0; i < NVALS; i++)
		value_of(i);
}

#ifdef V2
int main(void)
{
	static const char *texts[NVALS / 2] = { "shared-1", "abcdefgh", "short", "a longer text of 24 byte" };

	XT_V2_RECEIVE(init);
	for (int i = 0; i < NVALS; i += 2) {
		CHECK(hdr(vals(i))->type == T_COUNTER && value_of(i) == 100 + i);
		CHECK(hdr(vals(i + 1))->type == T_STRING && hdr(vals(i + 1))->size == strlen(texts[i / 2]) &&
		      !memcmp(vals(i + 1), texts[i / 2], strlen(texts[i / 2])));
	}
	XT_V2_RESULT();
}
#else
int main(void)
{
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
#endif
