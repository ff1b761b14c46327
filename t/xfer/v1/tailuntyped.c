/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Records ending in `char key[]` (a hash entry and its key in one block,
 * `sizeof(*e) + strlen(key) + 1`), allocated by
 * `in_arena ? arena_alloc(n) : malloc(n)`: the conditional leaves the
 * allocation sites without a type, so the blocks are typed by the
 * `struct entry *` pointers to them, although their sizes are no multiple
 * of the struct's.  Version 2 adds a member before `key`. */
#include "xt.h"

struct entry {
	struct entry *next;
	unsigned hash;
	int kind;
	void *value;
	char key[16];
};

struct hdr {
	unsigned size, magic;
};

void *arena_alloc(size_t n) STF_ALLOCATOR;

static unsigned char *arena;
static size_t arena_used;

void *arena_alloc(size_t n)
{
	if (!arena)
		arena = malloc(8192);
	struct hdr *h = (struct hdr *)(arena + arena_used);
	h->size = (unsigned)((n + 15) & ~(size_t)15);
	h->magic = 0xa5e7;
	arena_used += sizeof(*h) + h->size;
	return h + 1;
}

static struct entry *heap_entries, *arena_entries;
static const char *const keys[] = { "a1", "b", "abc", "a10", "longer-key-1" };

static __attribute__((noinline)) struct entry *entry_new(const char *key, int in_arena,
							struct entry *next)
{
	size_t n = sizeof(struct entry) + 3; /* and a tail of its own */
	struct entry *e = in_arena ? arena_alloc(n) : malloc(n);
	e->next = next;
	e->hash = (unsigned)strlen(key) * 31u;
	e->kind = 2;
	e->value = e;
	strcpy(e->key, key);
	return e;
}

static __attribute__((noinline)) void init(void)
{
	for (unsigned i = 0; i < sizeof(keys) / sizeof(*keys); i++) {
		heap_entries = entry_new(keys[i], 0, heap_entries);
		arena_entries = entry_new(keys[i], 1, arena_entries);
	}
}

int main(void)
{
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
