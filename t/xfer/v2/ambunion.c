/* SPDX-License-Identifier: GPL-3.0-or-later */
/* See v1/ambunion.c; struct obj gains a member before its old ones and
 * struct entry one before its union, counter moves behind a new static;
 * objects allocated after the commit must not overlap the ones kept at
 * their address. */
#include "xt.h"
#include <stdint.h>

struct obj {
	long lru;
	int type;
	int refcount;
	void *ptr;
};

struct entry {
	void *key;
	unsigned flags;
	union {
		void *val;
		uint64_t u64;
		int64_t s64;
		double d;
	} v;
	struct entry *next;
};

static int before_counter[4] = { 1, 2, 3, 4 };
static int counter = 41;
static struct entry *table[8];
static union {
	void *p;
	long n;
} hook, count;

static int handler(int x)
{
	return x + 1;
}

static struct entry *find(const char *key)
{
	for (int s = 0; s < 8; s++)
		for (struct entry *e = table[s]; e; e = e->next)
			if (!strcmp(e->key, key))
				return e;
	return NULL;
}

static struct entry *add(int slot, const char *key)
{
	struct entry *e = malloc(sizeof(*e));
	e->key = strdup(key);
	e->next = table[slot];
	table[slot] = e;
	return e;
}

static __attribute__((noinline)) void init(void)
{
	struct obj *o = malloc(sizeof(*o));
	o->type = 2;
	o->refcount = 3;
	o->ptr = strdup("payload");
	add(0, "obj")->v.val = o;
	add(1, "expire")->v.s64 = 1733390000123LL;
	add(1, "score")->v.d = 3.25;
	add(2, "static")->v.val = &counter;
	add(3, "inner")->v.val = (char *)o->ptr + 3;
	add(3, "small")->v.u64 = 16;
	add(4, "func")->v.val = (void *)handler;
	hook.p = &table[2];
	count.n = 123456789;
}

int main(void)
{
	XT_V2_RECEIVE(init);
	struct entry *e;
	CHECK(before_counter[3] == 4);
	CHECK((e = find("obj")) && e->v.val);
	struct obj *o = e ? e->v.val : NULL;
	CHECK(o && o->type == 2 && o->refcount == 3 && o->lru == 0 && !strcmp(o->ptr, "payload"));
	CHECK((e = find("expire")) && e->v.s64 == 1733390000123LL);
	CHECK((e = find("score")) && e->v.d == 3.25);
	CHECK((e = find("static")) && e->v.val == &counter && *(int *)e->v.val == 41);
	CHECK(o && (e = find("inner")) && e->v.val == (char *)o->ptr + 3);
	CHECK((e = find("small")) && e->v.u64 == 16);
	CHECK((e = find("func")) && e->v.val == (void *)handler &&
	      ((int (*)(int))e->v.val)(1) == 2);
	CHECK(hook.p == &table[2] && count.n == 123456789);
	/* the new version's own objects go elsewhere */
	for (int i = 0; i < 1000; i++) {
		struct obj *n = calloc(1, sizeof(*n));
		CHECK(n && ((char *)n + sizeof(*n) <= (char *)o || (char *)n >= (char *)o + sizeof(*o)));
		n->refcount = -1;
	}
	CHECK(o && o->refcount == 3);
	XT_V2_RESULT();
}
