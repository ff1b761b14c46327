/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * An arena the program maps itself (mmap of 1 MiB, `char *`) and carves
 * linked items out of with a bump allocator not declared STF_ALLOCATOR
 * (declared, the update is right).  Version 2 is the same program.
 */
#include <sys/mman.h>
#include "xt.h"
struct item {
	struct item *next;
	int key;
	char val[20];
};
#define ARENA (1 << 20)
char *arena, *arena_top; /* not static: kept at -O2 */
struct item *items;
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
	for (int i = 0; i < 50; i++) {
		struct item *it = arena_alloc(sizeof *it);
		it->key = i;
		snprintf(it->val, sizeof it->val, "val%d", i);
		it->next = items;
		items = it;
	}
}
int main(void)
{
	init();
	XT_V1_LOOP();
}
