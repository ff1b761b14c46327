/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Unannotated unions of a pointer and numbers (Redis's dictEntry value:
 * void *val, uint64_t u64, int64_t s64, double d; a static's union too),
 * holding a pointer to a heap object, into a heap string, to a static and
 * to a function, a timestamp, a double and a small integer: which member
 * is live no type says, so their words are classified as untyped memory's
 * are (the heap targets keep their address, the static and the function
 * are relocated, the numbers stay). */
#include "xt.h"
#include <stdint.h>

struct obj {
	int type;
	int refcount;
	void *ptr;
};

struct entry {
	void *key;
	union {
		void *val;
		uint64_t u64;
		int64_t s64;
		double d;
	} v;
	struct entry *next;
};

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
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
