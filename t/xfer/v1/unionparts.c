/* SPDX-License-Identifier: GPL-3.0-or-later */
/* 100,000 dictionary entries shaped as Redis's: a key string and a union
 * of a pointer and numbers that no type says which member is live (its
 * words are classified, untyped.c), holding records on the heap, a
 * static, integers and doubles; enough objects for the transform to be
 * cut in parts run at once (see unionparts.sh).  Types do not change:
 * version 2 checks every value. */
#include <stdint.h>

#include "xt.h"

#define NENTRIES 100000

struct rec {
	long n;
	char tag[8];
};

struct entry {
	char *key;
	union {
		void *val;
		uint64_t u64;
		int64_t s64;
		double d;
	} v;
	struct entry *next;
};

static struct entry *head;
static long shared_counter = 42;

static __attribute__((noinline)) void init(void)
{
	for (long i = 0; i < NENTRIES; i++) {
		struct entry *e = malloc(sizeof(*e));
		e->key = malloc(16);
		snprintf(e->key, 16, "k%ld", i);
		switch (i % 4) {
		case 0: {
			struct rec *r = malloc(sizeof(*r));
			r->n = i;
			snprintf(r->tag, sizeof(r->tag), "r%ld", i % 1000);
			e->v.val = r;
			break;
		}
		case 1:
			e->v.u64 = (uint64_t)i * 7;
			break;
		case 2:
			e->v.d = (double)i / 2;
			break;
		default:
			e->v.val = i % 8 == 3 ? (void *)&shared_counter : NULL;
		}
		e->next = head;
		head = e;
	}
}

static void check(void)
{
	long i = NENTRIES;
	char want[16];
	for (const struct entry *e = head; e && !xt_fails; e = e->next) {
		i--;
		snprintf(want, sizeof(want), "k%ld", i);
		CHECK(!strcmp(e->key, want));
		switch (i % 4) {
		case 0: {
			const struct rec *r = e->v.val;
			snprintf(want, sizeof(want), "r%ld", i % 1000);
			CHECK(r->n == i && !strcmp(r->tag, want));
			break;
		}
		case 1:
			CHECK(e->v.u64 == (uint64_t)i * 7);
			break;
		case 2:
			CHECK(e->v.d == (double)i / 2);
			break;
		default:
			CHECK(e->v.val == (i % 8 == 3 ? (void *)&shared_counter : NULL));
		}
	}
	CHECK(i == 0);
	CHECK(shared_counter == 42);
}

XT_MAIN_CHECKED(init, check)
