/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A callback registry `{ void (*fn)(void *); void *arg; }` whose one
 * callback takes connections and timers alike, telling them apart by a
 * kind at their start; both come from a size-prefixing wrapper
 * (STF_ALLOCATOR, the size in 16 bytes before the pointer) through one
 * generic constructor returning `void *`, are of one size, and grow in
 * version 2.  The constructor's callers' sites must type them (the plugin
 * finds obj_new to be a wrapper): never their bytes copied as they are
 * into the new layouts.  Variants (hunt20-cbwrap-*.c define one):
 * CBWRAP_CHAIN, obj_new a wrapper of a wrapper checking for NULL;
 * CBWRAP_CALLOC, a calloc-style wrapper (count times size, zeroed);
 * CBWRAP_PUBLIC, obj_new public (callers elsewhere would not know it);
 * CBWRAP_EXTERN, obj_new and xmalloc in another unit
 * (v1/hunt20-cbwrap-unit/obj.c). */
#include <stdint.h>
#include <stdlib.h>
#include "xt.h"

struct reg {
	void (*fn)(void *arg);
	void *arg;
};

enum kind { KIND_CONN = 1, KIND_TIMER = 2 };

struct conn {
	int kind;
#ifdef V2
	long bytes; /* new in 2 */
#endif
	int fd;
	char peer[8];
};

struct timer {
	int kind;
	int fired;
#ifdef V2
	struct timer *prev; /* new in 2 */
#endif
	long due;
};

#ifdef CBWRAP_EXTERN
void *obj_new(size_t size, int kind); /* hunt20-cbwrap-unit/obj.c */
#else
STF_ALLOCATOR void *xmalloc(size_t n);

void *xmalloc(size_t n)
{
	char *p = malloc(n + 16);
	*(size_t *)p = n;
	return p + 16;
}

#if defined(CBWRAP_CHAIN)
static void *obj_alloc(size_t size)
{
	void *o = xmalloc(size);
	if (!o)
		return NULL;
	return o;
}

static void *obj_new(size_t size, int kind)
{
	char *o = obj_alloc(size);
	if (o == NULL)
		abort();
	memset(o, 0, size);
	*(int *)o = kind;
	return o;
}
#elif defined(CBWRAP_CALLOC)
static void *obj_zalloc(size_t count, size_t size)
{
	void *o = xmalloc(count * size);
	memset(o, 0, count * size);
	return o;
}

static void *obj_new(size_t size, int kind)
{
	void *o = obj_zalloc(1, size);
	*(int *)o = kind;
	return o;
}
#else
#ifdef CBWRAP_PUBLIC
void *obj_new(size_t size, int kind);
#else
static
#endif
void *obj_new(size_t size, int kind)
{
	void *o = xmalloc(size);
	memset(o, 0, size);
	*(int *)o = kind;
	return o;
}
#endif
#endif

static struct reg regs[8];
static size_t nregs;
static int seen_conns, seen_timers;

static void on_any(void *arg)
{
	if (*(int *)arg == KIND_CONN) {
		struct conn *c = arg;
		char want[8];
		snprintf(want, sizeof(want), "p%d", c->fd);
		seen_conns += !strcmp(c->peer, want);
	} else {
		struct timer *t = arg;
		seen_timers += t->due % 100 == 42 && !t->fired;
	}
}

static void reg_add(void (*fn)(void *), void *arg)
{
	regs[nregs].fn = fn;
	regs[nregs++].arg = arg;
}

static void init(void)
{
	for (int i = 0; i < 3; i++) {
		struct conn *c = obj_new(sizeof(*c), KIND_CONN);
		c->fd = 10 + i;
		snprintf(c->peer, sizeof(c->peer), "p%d", c->fd);
		reg_add(on_any, c);
		struct timer *t = obj_new(sizeof(*t), KIND_TIMER);
		t->due = 100 * i + 42;
		reg_add(on_any, t);
	}
}

static void check(void)
{
	seen_conns = seen_timers = 0;
	for (size_t i = 0; i < nregs; i++)
		regs[i].fn(regs[i].arg);
	CHECK(nregs == 6 && seen_conns == 3 && seen_timers == 3);
}

XT_MAIN_CHECKED(init, check)
