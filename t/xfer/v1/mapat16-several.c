/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Several mappings typed as bytes whose words hold addresses: an arena of
 * linked items (its first word is its own address), a mapping freed and
 * mapped again, a log grown with mremap holding, among its text, the
 * addresses of a heap object and of an item of the arena, and a read-only
 * page of text.  A word of bytes is kept as it is: each mapping keeps
 * its address, so every word stays right.  Version 2 checks them.
 */
#define _GNU_SOURCE
#include <sys/mman.h>
#include "xt.h"

struct item {
	struct item *next;
	int key;
	char val[20];
};

struct conn {
	int fd;
	char name[12];
};

#define ARENA (64 << 10)
/* not static: kept at -O2 */
char *arena, *arena_top;
char *again;   /* mapped, freed, mapped again */
char *logbuf;  /* grown from one page to three with mremap */
const char *banner;
struct conn *conn;

static void *arena_alloc(size_t n)
{
	void *p = arena_top;
	arena_top += (n + 15) & ~(size_t)15;
	return p;
}

static char *map(size_t n)
{
	return mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
}

static void init(void)
{
	arena = map(ARENA);
	memcpy(arena, &arena, sizeof arena);
	arena_top = arena + 16;
	struct item *items = NULL;
	for (int i = 0; i < 40; i++) {
		struct item *it = arena_alloc(sizeof *it);
		it->key = i;
		snprintf(it->val, sizeof it->val, "val%d", i);
		it->next = items;
		items = it;
	}
	again = map(8192);
	munmap(again, 8192);
	again = map(4096);
	strcpy(again, "again:");
	memcpy(again + 8, &items, sizeof items);
	conn = malloc(sizeof *conn);
	conn->fd = 7;
	strcpy(conn->name, "conn7");
	logbuf = map(4096);
	strcpy(logbuf, "log: ");
	logbuf = mremap(logbuf, 4096, 3 * 4096, MREMAP_MAYMOVE);
	memset(logbuf + 4096, 'x', 4096);
	memcpy(logbuf + 2 * 4096, &conn, sizeof conn);
	memcpy(logbuf + 2 * 4096 + 8, &logbuf, sizeof logbuf);
	char *ro = map(4096);
	strcpy(ro, "read-only banner");
	mprotect(ro, 4096, PROT_READ);
	banner = ro;
}

int main(void)
{
	XT_PAIR_START(init);
#ifdef V2
	char *self;
	memcpy(&self, arena, sizeof self);
	CHECK(self == arena);
	struct item *it;
	memcpy(&it, again + 8, sizeof it);
	CHECK(!strcmp(again, "again:"));
	int n = 0;
	for (int i = 39; it; it = it->next, i--, n++) {
		char want[20];
		snprintf(want, sizeof want, "val%d", i);
		CHECK(it->key == i && !strcmp(it->val, want));
		CHECK((char *)it >= arena && (char *)it < arena_top);
	}
	CHECK(n == 40);
	struct conn *c;
	memcpy(&c, logbuf + 2 * 4096, sizeof c);
	memcpy(&self, logbuf + 2 * 4096 + 8, sizeof self);
	CHECK(c == conn && c->fd == 7 && !strcmp(c->name, "conn7"));
	CHECK(self == logbuf && !strncmp(logbuf, "log: ", 5) && logbuf[4096 + 4095] == 'x');
	CHECK(!strcmp(banner, "read-only banner"));
	/* the log grows again in the new version */
	char *grown = mremap(logbuf, 3 * 4096, 4 * 4096, MREMAP_MAYMOVE);
	CHECK(grown != MAP_FAILED && !strncmp(grown, "log: ", 5) && grown[4096] == 'x');
	XT_V2_RESULT();
#endif
}
