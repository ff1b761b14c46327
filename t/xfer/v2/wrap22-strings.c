/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A size-prefixing wrapper declared STF_ALLOCATOR (a 16-byte header
 * {magic, size} in front of what it returns, a used-memory counter:
 * Redis's zmalloc) handing out strings and an index array of sizes known
 * at run time only, noted in libstf's shadow map and sized from the
 * header when the registry is read (runtime/sub-shadow.c,
 * stf__sub_note_sized), and items of a constant size that grow in
 * version 2 (moved whole, their header and the counter rewritten): every
 * string keeps its text and its header its size, and the index, of its
 * full length, points to the moved items. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xt.h"

#define MAGIC 0x7772617032327374ull
#define NITEMS 8

struct hdr {
	uint64_t magic;
	uint64_t size;
};

/* used_memory, items, index_of and nindex are not static: at -O2, version
 * 1, which writes them and never reads them, keeps them */
size_t used_memory;

STF_ALLOCATOR static void *zmalloc(size_t n)
{
	struct hdr *h = malloc(sizeof *h + n);
	if (!h)
		abort();
	h->magic = MAGIC;
	h->size = n;
	used_memory += n;
	return h + 1;
}

struct item {
	long id;             /* widened and moved first */
	struct item *next;
	char *name;
	long hits;           /* new in 2 */
};

struct item *items;
struct item **index_of;
size_t nindex;
/* read at run time: the sizes are not constants the compiler folds */
static volatile int scale = 7;

static __attribute__((noinline)) void init(void)
{
	char text[128];
	for (int i = 0; i < NITEMS; i++) {
		struct item *it = zmalloc(sizeof(*it));
		int len = snprintf(text, sizeof text, "item %d", i);
		for (int k = 0; k < i * scale && len < 120; k++)
			text[len++] = (char)('a' + k % 26);
		text[len] = 0;
		it->name = zmalloc((size_t)len + 1);
		memcpy(it->name, text, (size_t)len + 1);
		it->id = i;
		it->hits = 0;
		it->next = items;
		items = it;
	}
	nindex = (size_t)NITEMS + (size_t)scale - 7;
	index_of = zmalloc(nindex * sizeof(*index_of));
	struct item *it = items;
	for (size_t k = 0; k < nindex; k++, it = it->next)
		index_of[k] = it;
}

static size_t header_size(const void *p)
{
	const struct hdr *h = (const struct hdr *)p - 1;
	CHECK(h->magic == MAGIC);
	return h->size;
}

int main(void)
{
	XT_V2_RECEIVE(init);
	size_t n = 0, bytes = nindex * sizeof(*index_of);
	CHECK(header_size(index_of) == bytes);
	for (struct item *it = items; it; it = it->next, n++) {
		char text[128];
		int len = snprintf(text, sizeof text, "item %ld", it->id);
		for (int k = 0; k < it->id * scale && len < 120; k++)
			text[len++] = (char)('a' + k % 26);
		text[len] = 0;
		CHECK(it->id == NITEMS - 1 - (long)n && it->hits == 0);
		CHECK(!strcmp(it->name, text));
		CHECK(header_size(it->name) == (size_t)len + 1);
		CHECK(header_size(it) == sizeof(*it));
		CHECK(index_of[n] == it);
		bytes += (size_t)len + 1 + sizeof(*it);
	}
	CHECK(n == NITEMS && nindex == NITEMS);
	CHECK(used_memory == bytes);
	XT_V2_RESULT();
}
