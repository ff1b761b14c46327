/* SPDX-License-Identifier: GPL-3.0-or-later */
/* t/idioms/arenakv's reset arenas: a bump arena (arena_alloc declared
 * STF_ALLOCATOR, chunks from malloc) first carves 12 `struct rec`s
 * (24 bytes each) with a 16-byte text before each, then is reset (its
 * chunk kept) and carves 10 `struct item`s (40 bytes) with an 8-byte
 * text before each: the live items and texts lie over the dead records'
 * places, at other offsets.  Version 2 (-DV2) grows both structs: the
 * items must come over intact, whatever the dead records were. */
#include "xt.h"

struct chunk {
	struct chunk *next;
	size_t cap;
	_Alignas(16) char mem[];
};

struct arena {
	struct chunk *head;
	char *cur, *end;
};

STF_ALLOCATOR void *arena_alloc(struct arena *a, size_t n);

void *arena_alloc(struct arena *a, size_t n)
{
	char *p;

	n = (n + 7) & ~(size_t)7;
	if (!a->head || (size_t)(a->end - a->cur) < n) {
		struct chunk *c = malloc(sizeof(*c) + 4096);
		c->next = a->head;
		c->cap = 4096;
		a->head = c;
		a->cur = c->mem;
		a->end = c->mem + c->cap;
	}
	p = a->cur;
	a->cur += n;
	return p;
}

static void arena_reset(struct arena *a)
{
	a->cur = a->head->mem;
	a->end = a->head->mem + a->head->cap;
}

struct rec {
	struct rec *prev;
	char *text;
#ifdef V2
	long extra; /* new */
#endif
	unsigned long seq;
};

struct item {
	struct item *next;
	char *name;
	long value;
#ifdef V2
	long hits; /* new, in the middle */
#endif
	struct rec *old; /* a dead record: stale */
	unsigned long id;
};

struct arena arena;
struct rec *recs;
struct item *items;

static char *text(const char *prefix, int i, size_t n)
{
	char *t = arena_alloc(&arena, n);
	snprintf(t, n, "%s%d", prefix, i);
	return t;
}

static void init(void)
{
	for (int i = 0; i < 12; i++) {
		char *t = text("record-", i, 16);
		struct rec *r = arena_alloc(&arena, sizeof(*r));
		r->prev = recs;
		r->text = t;
		r->seq = (unsigned long)i;
		recs = r;
	}
	struct rec *dead = recs;
	arena_reset(&arena);
	recs = NULL;
	for (int i = 0; i < 10; i++) {
		char *t = text("it", i, 8);
		struct item *it = arena_alloc(&arena, sizeof(*it));
		it->next = items;
		it->name = t;
		it->value = 1000 + i;
		it->old = dead;
		it->id = (unsigned long)i;
		items = it;
	}
}

#ifndef V2
int main(void)
{
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
#else
int main(void)
{
	XT_V2_RECEIVE(init);
	int n = 9;
	for (struct item *it = items; it && n >= -1; it = it->next, n--) {
		char want[8];
		snprintf(want, sizeof(want), "it%d", n);
		CHECK(it->id == (unsigned long)n && it->value == 1000 + n && it->hits == 0);
		CHECK(!strcmp(it->name, want));
	}
	CHECK(n == -1);
	XT_V2_RESULT();
}
#endif
