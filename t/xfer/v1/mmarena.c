/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * An arena the program maps itself (mmap, `char *`) and carves linked
 * items out of with a bump allocator.  Version 2 (V2) walks the items,
 * which must lie in its arena.  The cases of the family:
 *   (none)     the allocator is not declared STF_ALLOCATOR: a word of
 *              bytes is not known to be a pointer, so the mapping keeps
 *              its address (hunt15-mmarena); version 2 allocates one more;
 *   ALLOCATOR  the allocator is declared STF_ALLOCATOR: the items are
 *              typed sub-objects, not taken for a mapping of bytes holding
 *              addresses (mmap-arena-alloc); version 2 allocates one more;
 *   CONNS      declared too, the items point to heap connections, which
 *              version 2 grows by a member, and the arena's address is
 *              also kept in an integer (uintptr_t), which is never
 *              relocated: the mapping keeps its address, its items are
 *              converted in place, their pointers follow the grown
 *              connections (mapat16-alloc).
 */
#include <stdint.h>
#include <sys/mman.h>
#include "xt.h"

#ifdef CONNS
#define ALLOCATOR
struct conn {
	int fd;
#ifdef V2
	long bytes_in;
#endif
	char name[12];
};
#define ARENA (1 << 16)
#define NITEMS 20
#else
#define ARENA (1 << 20)
#define NITEMS 50
#endif

struct item {
	struct item *next;
#ifdef CONNS
	struct conn *c;
#endif
	int key;
#ifndef CONNS
	char val[20];
#endif
};

#ifdef ALLOCATOR
static char *arena, *arena_top;
static struct item *items;
#else
char *arena, *arena_top; /* not static: kept at -O2 */
struct item *items;
#endif
#ifdef CONNS
static uintptr_t arena_addr;
#endif

#ifdef ALLOCATOR
STF_ALLOCATOR
#endif
static void *arena_alloc(size_t n)
{
	void *p = arena_top;
	arena_top += (n + 15) & ~(size_t)15;
	return p;
}

static void init(void)
{
	arena = mmap(NULL, ARENA, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	arena_top = arena;
#ifdef CONNS
	arena_addr = (uintptr_t)arena;
#endif
	for (int i = 0; i < NITEMS; i++) {
		struct item *it = arena_alloc(sizeof *it);
		it->key = i;
#ifdef CONNS
		it->c = malloc(sizeof *it->c);
		it->c->fd = 100 + i;
		snprintf(it->c->name, sizeof it->c->name, "conn%d", i);
#else
		snprintf(it->val, sizeof it->val, "val%d", i);
#endif
		it->next = items;
		items = it;
	}
}

int main(void)
{
	XT_PAIR_START(init);
#ifdef V2
#ifdef CONNS
	CHECK((char *)arena_addr == arena);
#endif
	int i = NITEMS - 1, n = 0;
	for (struct item *it = items; it; it = it->next, i--, n++) {
#ifdef CONNS
		char want[12];
		snprintf(want, sizeof want, "conn%d", i);
		CHECK(it->key == i && it->c->fd == 100 + i && it->c->bytes_in == 0 &&
		      !strcmp(it->c->name, want));
#else
		char want[20];
		snprintf(want, sizeof want, "val%d", i);
		CHECK(it->key == i && !strcmp(it->val, want));
#endif
		CHECK((char *)it >= arena && (char *)it < arena_top);
	}
	CHECK(n == NITEMS);
#ifndef CONNS
	struct item *more = arena_alloc(sizeof *more);
	CHECK(more && (char *)more < arena + ARENA);
	more->key = 7;
#endif
	XT_V2_RESULT();
#endif
}
