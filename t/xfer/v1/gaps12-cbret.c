/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Callbacks computed at run time: a job's handler is the result of a
 * function returning a function pointer, called at once with the job's
 * `void *` argument, `pick(job->verbose)(job->arg)`, and a timer's is
 * read from a table the program fills at startup through a function
 * returning its entry, `lookup(t->kind)(t->arg)`.  The arguments' blocks
 * come from sites of no type and only the callbacks say what they hold
 * (`struct conn *c = arg`, `struct timer *t = arg`).  Version 2 (built
 * with -DV2) grows both structs before their counters: the blocks must
 * arrive as version 2's structs, or the update must refuse.  Before, the
 * calls' callees (a call's result) were not followed: the blocks were
 * copied as bytes and the update committed with every member after the
 * first at the wrong offset. */
#include "xt.h"

struct conn {
	int fd;
#ifdef V2
	long opened;              /* new */
#endif
	unsigned long hits;
	char name[16];
};

struct timer {
	int kind;
#ifdef V2
	long armed;               /* new */
#endif
	unsigned long fired;
};

typedef void (*handler_fn)(void *);

struct job {
	int verbose;
	void *arg;
};

struct timer_ref {
	int kind;
	void *arg;
};

static struct job jobs[2];
static struct timer_ref timers[2];
static handler_fn timer_table[2]; /* filled at startup */

static int next_fd = 10;

static void on_conn(void *arg)
{
	struct conn *c = arg;
	if (!c->fd) /* set up on its first run */
		c->fd = next_fd++;
	c->hits++;
}

static void on_conn_verbose(void *arg)
{
	struct conn *c = arg;
	if (!c->fd) {
		c->fd = next_fd++;
		snprintf(c->name, sizeof(c->name), "conn %d", c->fd);
	}
	c->hits++;
}

static void on_tick(void *arg)
{
	struct timer *t = arg;
	t->kind = 1;
	t->fired++;
}

static void on_alarm(void *arg)
{
	struct timer *t = arg;
	t->kind = 2;
	t->fired += 2;
}

static __attribute__((noinline)) handler_fn pick(int verbose)
{
	return verbose ? on_conn_verbose : on_conn;
}

static __attribute__((noinline)) handler_fn lookup(int kind)
{
	return timer_table[kind];
}

static __attribute__((noinline)) void run(void)
{
	for (int i = 0; i < 2; i++) {
		pick(jobs[i].verbose)(jobs[i].arg);
		lookup(timers[i].kind)(timers[i].arg);
	}
}

static __attribute__((noinline)) void init(void)
{
	for (int i = 0; i < 2; i++) {
		jobs[i].verbose = i;
		jobs[i].arg = calloc(1, sizeof(struct conn));
		timers[i].kind = i;
		timers[i].arg = calloc(1, sizeof(struct timer));
	}
	run();
}

int main(void)
{
	timer_table[0] = on_tick;
	timer_table[1] = on_alarm;
#ifndef V2
	if (!stf_is_updating())
		init();
	for (;;) {
		stf_update_point();
		run();
		usleep(2000);
	}
#else
	XT_V2_RECEIVE(init);
	struct conn *c0 = jobs[0].arg, *c1 = jobs[1].arg;
	struct timer *t0 = timers[0].arg, *t1 = timers[1].arg;
	unsigned long hits = c0->hits;
	CHECK(c0->fd == 10 && c1->fd == 11 && c0->opened == 0 && c1->opened == 0);
	CHECK(hits > 0 && c1->hits == hits);
	CHECK(!strcmp(c0->name, "") && !strcmp(c1->name, "conn 11"));
	CHECK(t0->kind == 1 && t1->kind == 2 && t0->armed == 0 && t1->armed == 0);
	CHECK(t0->fired == hits && t1->fired == 2 * hits);
	run();
	CHECK(c1->hits == hits + 1 && t1->fired == 2 * hits + 2);
	XT_V2_RESULT();
#endif
}
