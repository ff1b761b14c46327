/* SPDX-License-Identifier: GPL-3.0-or-later */
/* 80,000 dictionary entries whose values no type tells (a union of a
 * pointer and a number, as Redis's): a quarter point to typed records,
 * which the union's word pins (kept at their address), a quarter to
 * untyped blocks (the library's memory), each holding a pointer to a
 * typed record it pins and one to the next block, which it keeps at its
 * address; the rest are numbers.  Enough objects for the untyped plan's
 * lookups to be cut across threads (see planparts.sh).  Version 2 (this
 * file with V2 defined) reorders struct entry's members and checks every
 * value.  With ADDR_WORDS defined (v1/planparts-addr), one entry in 1,000
 * keeps in its integer of an address type the address of its record's
 * tag, inside the record: the plan refuses each (an integer is not
 * relocated), and the update rolls back listing them in order. */
#include <stdint.h>

#include "xt.h"

#define NENTRIES 80000

struct rec {
	long n;
	char tag[8];
#ifdef GROW
	long added;
#endif
};

#ifndef V2
struct entry {
	char *key;
	union {
		void *val;
		uint64_t u64;
	} v;
	uintptr_t mark;
	struct entry *next;
};
#else
struct entry {
	struct entry *next;
	uintptr_t mark;
	union {
		void *val;
		uint64_t u64;
	} v;
	char *key;
};
#endif

static struct entry *head;

/* the library's memory: malloc'd where no type says what it holds */
static __attribute__((noinline)) void *lib_alloc(size_t size)
{
	void *p = malloc(size);
	memset(p, 0, size);
	return p;
}

static __attribute__((noinline)) struct rec *new_rec(long i)
{
	struct rec *r = malloc(sizeof(*r));
	memset(r, 0, sizeof(*r));
	r->n = i;
	snprintf(r->tag, sizeof(r->tag), "r%ld", i % 1000);
	return r;
}

static __attribute__((noinline)) void init(void)
{
	void *last_block = NULL;
	for (long i = 0; i < NENTRIES; i++) {
		struct entry *e = malloc(sizeof(*e));
		e->key = malloc(16);
		snprintf(e->key, 16, "k%ld", i);
		e->mark = 0;
		switch (i % 4) {
		case 0:
			e->v.val = new_rec(i);
#ifdef ADDR_WORDS
			if (i % 1000 == 0)
				e->mark = (uintptr_t)((struct rec *)e->v.val)->tag;
#endif
			break;
		case 1: {
			void **block = lib_alloc(4 * sizeof(void *));
			block[0] = new_rec(i);
			block[1] = last_block;
			block[2] = (void *)(uintptr_t)i;
			last_block = block;
			e->v.val = block;
			break;
		}
		default:
			e->v.u64 = (uint64_t)i * 7;
		}
		e->next = head;
		head = e;
	}
}

static void check(void)
{
	long i = NENTRIES;
	char want[16];
	void *newer_block = NULL;
	for (const struct entry *e = head; e && !xt_fails; e = e->next) {
		i--;
		snprintf(want, sizeof(want), "k%ld", i);
		CHECK(!strcmp(e->key, want));
#ifndef ADDR_WORDS
		CHECK(!e->mark);
#endif
		const struct rec *r = e->v.val;
		switch (i % 4) {
		case 0:
			break;
		case 1: {
			void **block = e->v.val;
			/* from the last entry down: the block seen before,
			 * made after this one, points to it */
			if (newer_block)
				CHECK(((void **)newer_block)[1] == block);
			newer_block = block;
			CHECK(block[2] == (void *)(uintptr_t)i);
			r = block[0];
			break;
		}
		default:
			CHECK(e->v.u64 == (uint64_t)i * 7);
			continue;
		}
		snprintf(want, sizeof(want), "r%ld", i % 1000);
		CHECK(r->n == i && !strcmp(r->tag, want));
	}
	CHECK(i == 0);
}

XT_MAIN_CHECKED(init, check)
