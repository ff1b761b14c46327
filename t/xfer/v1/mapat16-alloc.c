/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * An arena mapping carved by an allocator declared STF_ALLOCATOR into
 * items that point to heap objects (connections), which version 2 grows
 * by a member; the arena's address is also kept in an integer
 * (uintptr_t), which is never relocated: the mapping keeps its address,
 * its items are converted in place, their pointers follow the grown
 * connections.
 */
#include <stdint.h>
#include <sys/mman.h>
#include "xt.h"

struct conn {
	int fd;
#ifdef V2
	long bytes_in;
#endif
	char name[12];
};

struct item {
	struct item *next;
	struct conn *c;
	int key;
};

#define ARENA (1 << 16)
static char *arena, *arena_top;
static uintptr_t arena_addr;
static struct item *items;

STF_ALLOCATOR static void *arena_alloc(size_t n)
{
	void *p = arena_top;
	arena_top += (n + 15) & ~(size_t)15;
	return p;
}

static void init(void)
{
	arena = mmap(NULL, ARENA, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	arena_top = arena;
	arena_addr = (uintptr_t)arena;
	for (int i = 0; i < 20; i++) {
		struct item *it = arena_alloc(sizeof *it);
		it->key = i;
		it->c = malloc(sizeof *it->c);
		it->c->fd = 100 + i;
		snprintf(it->c->name, sizeof it->c->name, "conn%d", i);
		it->next = items;
		items = it;
	}
}

int main(void)
{
#ifndef V2
	init();
	XT_V1_LOOP();
#else
	XT_V2_RECEIVE(init);
	CHECK((char *)arena_addr == arena);
	int i = 19, n = 0;
	for (struct item *it = items; it; it = it->next, i--, n++) {
		char want[12];
		snprintf(want, sizeof want, "conn%d", i);
		CHECK(it->key == i && it->c->fd == 100 + i && it->c->bytes_in == 0 &&
		      !strcmp(it->c->name, want));
		CHECK((char *)it >= arena && (char *)it < arena_top);
	}
	CHECK(n == 20);
	XT_V2_RESULT();
#endif
}
