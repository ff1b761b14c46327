/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of flexuntyped.c: the entry gains `unsigned touched` before
 * `key`; each key must be found where version 2 reads it. */
#include <stddef.h>
#include "xt.h"

struct entry {
	struct entry *next;
	unsigned hash;
	int kind;
	void *value;
	unsigned touched;
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

static void check_list(const struct entry *e)
{
	for (int i = (int)(sizeof(keys) / sizeof(*keys)) - 1; i >= 0; i--, e = e->next) {
		CHECK(e != NULL);
		if (!e)
			return;
		CHECK(!strcmp(e->key, keys[i]));
		CHECK(e->hash == (unsigned)strlen(keys[i]) * 31u && e->kind == 2 && e->value == e);
		CHECK(e->touched == 0);
		struct stf_object_info info;
		CHECK(stf_lookup(e, &info) == 0 && info.size >= offsetof(struct entry, key) + strlen(keys[i]) + 1);
	}
	CHECK(e == NULL);
}

int main(void)
{
	XT_V2_RECEIVE(init);
	check_list(heap_entries);
	check_list(arena_entries);
	XT_V2_RESULT();
}
