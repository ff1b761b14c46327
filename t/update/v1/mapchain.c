/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Mappings across chained updates (update-chain-mappings.sh): an arena
 * typed as bytes whose items link to each other (an allocator not
 * declared STF_ALLOCATOR) and a log typed as bytes holding its own
 * address; the startup maps both in every run, the update's too.  Each
 * new version finds the old mappings at their addresses (its own are
 * orphans, unmapped after the transfer) and, once it runs, checks the
 * state and prints "ok" or "FAILED".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <stf.h>

struct item {
	struct item *next;
	int key;
	char val[20];
};

#define NITEMS 100
/* not static: kept at -O1 */
char *arena, *arena_top, *logbuf;
struct item *items;
int owner; /* the pid that last checked the state */

static void *arena_alloc(size_t n)
{
	void *p = arena_top;
	arena_top += (n + 15) & ~(size_t)15;
	return p;
}

static void startup(void)
{
	arena = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	arena_top = arena;
	logbuf = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (arena == MAP_FAILED || logbuf == MAP_FAILED)
		exit(1);
	if (stf_is_updating())
		return;
	memcpy(logbuf, &logbuf, sizeof logbuf);
	for (int i = 0; i < NITEMS; i++) {
		struct item *it = arena_alloc(sizeof *it);
		it->key = i;
		snprintf(it->val, sizeof it->val, "v%d", i);
		it->next = items;
		items = it;
	}
	owner = getpid();
}

static int state_whole(void)
{
	char *self;
	int i = NITEMS - 1;
	memcpy(&self, logbuf, sizeof self);
	if (self != logbuf)
		return 0;
	for (struct item *it = items; it; it = it->next, i--) {
		char want[20];
		snprintf(want, sizeof want, "v%d", i);
		if (it->key != i || strcmp(it->val, want) || (char *)it < arena ||
		    (char *)it >= arena_top)
			return 0;
	}
	return i == -1;
}

int main(void)
{
	startup();
	for (;;) {
		stf_update_point();
		if (owner != getpid()) {
			owner = getpid();
			printf(state_whole() ? "ok\n" : "FAILED\n");
			fflush(stdout);
		}
		usleep(2000);
	}
}
