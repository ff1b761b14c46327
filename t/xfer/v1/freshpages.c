/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Redis's shape at 100,000 dict entries (see freshpages.sh): each entry's
 * `void *` key a string of an untyped allocation behind a two-byte
 * header (an sds: the transfer keeps the block at its address), its
 * value, in a union with a number, a struct robj whose `void *` member
 * points to such a string (the union's word pins the robj: it keeps its
 * address too), every 4th entry a number instead; the keys, entries and
 * values made in orders of their own and linked into buckets by a hash,
 * as a real server's traffic leaves them. */
#include <stdint.h>

#include "xt.h"

#define ENTRIES 100000
#define BUCKETS 32768

struct robj {
	unsigned type : 4, encoding : 4, lru : 24;
	int refcount;
	void *ptr; /* an sds */
};

struct entry {
	void *key; /* an sds */
	union {
		void *val; /* a struct robj */
		long s64;
	} v;
	struct entry *next;
};

static struct entry **dict;

/* a one-byte length and a type byte before the characters, in a block of
 * no type (the site's result is a `void *`) */
static __attribute__((noinline)) char *new_sds(long i, char kind)
{
	void *sh = malloc(2 + 16);
	char *s = (char *)sh + 2;
	int len = snprintf(s, 16, "%c:%ld", kind, i);
	s[-2] = (char)len;
	s[-1] = 1;
	return s;
}

/* the code reading an entry's value as a robj (a member-use record) */
static __attribute__((noinline)) int refcount(const struct entry *e)
{
	const struct robj *o = e->v.val;
	return o ? o->refcount : 0;
}

/* entry i's place in the k-th order (k: 1 the keys', 2 the values'): a
 * permutation of [0, ENTRIES) (a multiplier prime to it) */
static long order(long i, long k)
{
	return (i * (k == 1 ? 7919 : 104729) + k) % ENTRIES;
}

static __attribute__((noinline)) void init(void)
{
	struct entry **e = malloc(ENTRIES * sizeof(*e));
	dict = calloc(BUCKETS, sizeof(*dict));
	for (long i = 0; i < ENTRIES; i++)
		e[i] = malloc(sizeof(**e));
	for (long k = 0; k < ENTRIES; k++)
		e[order(k, 1)]->key = new_sds(order(k, 1), 'k');
	for (long k = 0; k < ENTRIES; k++) {
		long i = order(k, 2);
		if (i % 4 == 3) {
			e[i]->v.s64 = i;
		} else {
			struct robj *o = malloc(sizeof(*o));
			o->type = 0;
			o->encoding = 0;
			o->lru = 0;
			o->refcount = 1;
			o->ptr = new_sds(i, 'v');
			e[i]->v.val = o;
		}
	}
	for (long i = 0; i < ENTRIES; i++) {
		long b = (long)((uint64_t)i * 0x9e3779b97f4a7c15ull >> 20) % BUCKETS;
		e[i]->next = dict[b];
		dict[b] = e[i];
	}
	if (refcount(e[0]) < 0) /* entry 0 holds a robj */
		abort();
	free(e);
}

#ifdef V2
static void check(void)
{
	long seen = 0;
	char want[16];
	for (long b = 0; b < BUCKETS && !xt_fails; b++)
		for (const struct entry *e = dict[b]; e && !xt_fails; e = e->next) {
			const char *k = e->key;
			long i = strtol(k + 2, NULL, 10);
			seen++;
			CHECK(k[-2] == (char)strlen(k) && k[-1] == 1 && k[0] == 'k');
			CHECK((long)((uint64_t)i * 0x9e3779b97f4a7c15ull >> 20) % BUCKETS == b);
			if (i % 4 == 3) {
				CHECK(e->v.s64 == i);
				continue;
			}
			const struct robj *o = e->v.val;
			snprintf(want, sizeof(want), "v:%ld", i);
			CHECK(o->refcount == 1 && !strcmp(o->ptr, want));
		}
	CHECK(seen == ENTRIES);
}
#endif

int main(void)
{
	XT_PAIR_START(init);
#ifdef V2
	check();
	XT_V2_RESULT();
#endif
}
