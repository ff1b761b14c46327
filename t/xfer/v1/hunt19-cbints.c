/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A callback registry `{ void (*fn)(void *); void *arg; }` in an array
 * grown with realloc, whose arguments are connections, timers (blocks
 * from sites of no type, `void *a = malloc(...)`, set up by functions
 * taking a `void *`) or descriptors cast to `void *`.  Both structs grow
 * in version 2: each argument must follow its object, converted as the
 * type its callback casts it to, the descriptors stay numbers, and the
 * functions are version 2's. */
#include <stdint.h>
#include <stdlib.h>
#include "xt.h"

struct reg {
	void (*fn)(void *arg);
	void *arg;
};

struct conn {
#ifdef V2
	long bytes; /* new in 2 */
#endif
	int fd;
	char peer[12];
};

struct timer {
#ifdef V2
	struct timer *prev; /* new in 2 */
#endif
	long due;
	int fired;
};

static struct reg *regs;
static size_t nregs, capregs;
static int seen_conns, seen_timers, seen_fds;

static void reg_add(void (*fn)(void *), void *arg)
{
	if (nregs == capregs) {
		capregs = capregs ? 2 * capregs : 2;
		regs = realloc(regs, capregs * sizeof(*regs));
	}
	regs[nregs].fn = fn;
	regs[nregs++].arg = arg;
}

static void on_conn(void *arg)
{
	struct conn *c = arg;
	char want[12];
	snprintf(want, sizeof(want), "peer%d", c->fd);
	if (!strcmp(c->peer, want))
		seen_conns++;
}

static void on_timer(void *arg)
{
	struct timer *t = arg;
	if (t->due % 100 == 42 && !t->fired)
		seen_timers++;
}

static void on_fd(void *arg)
{
	intptr_t fd = (intptr_t)arg;
	if (fd >= 3 && fd < 6)
		seen_fds++;
}

static void conn_setup(void *p, int fd)
{
	struct conn *c = p;
	c->fd = fd;
	snprintf(c->peer, sizeof(c->peer), "peer%d", fd);
}

static void timer_setup(void *p, long due)
{
	struct timer *t = p;
	t->due = due;
	t->fired = 0;
}

static void init(void)
{
	for (int i = 0; i < 3; i++) {
		void *a = malloc(sizeof(struct conn));
		conn_setup(a, 10 + i);
		reg_add(on_conn, a);
		void *b = malloc(sizeof(struct timer));
		timer_setup(b, 100 * i + 42);
		reg_add(on_timer, b);
		reg_add(on_fd, (void *)(intptr_t)(3 + i));
	}
}

static void check(void)
{
	seen_conns = seen_timers = seen_fds = 0;
	for (size_t i = 0; i < nregs; i++)
		regs[i].fn(regs[i].arg);
	CHECK(nregs == 9 && seen_conns == 3 && seen_timers == 3 && seen_fds == 3);
}

XT_MAIN_CHECKED(init, check)
