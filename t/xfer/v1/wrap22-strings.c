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
	struct item *next;
	char *name;
	int id;
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
		it->next = items;
		items = it;
	}
	nindex = (size_t)NITEMS + (size_t)scale - 7;
	index_of = zmalloc(nindex * sizeof(*index_of));
	struct item *it = items;
	for (size_t k = 0; k < nindex; k++, it = it->next)
		index_of[k] = it;
}

int main(void)
{
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
