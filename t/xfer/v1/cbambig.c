/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A task queue whose tasks carry arguments of two types: `t->fn =
 * handle_conn` with a struct conn, `t->fn = handle_timer` with a struct
 * timer, both behind `void *arg` from sites of no type.  Which block is
 * which is not in the code's types (struct task.arg is used as both) but
 * in each task's function: when struct conn grows, the connections must
 * be converted (copied as bytes, version 2 would read them with the new
 * layout). */
#include "xt.h"

struct conn {
	int fd;
	unsigned long hits;
};

struct timer {
	unsigned long due;
	unsigned fired;
};

struct task {
	void (*fn)(void *);
	void *arg;
};

static struct task tasks[4];

static void handle_conn(void *arg)
{
	struct conn *c = arg;
	c->hits++;
}

static void handle_timer(void *arg)
{
	struct timer *t = arg;
	t->fired++;
}

static __attribute__((noinline)) void init(void)
{
	for (int i = 0; i < 4; i++) {
		struct task *t = &tasks[i];
		if (i % 2) {
			t->fn = handle_timer;
			t->arg = calloc(1, sizeof(struct timer));
		} else {
			t->fn = handle_conn;
			t->arg = calloc(1, sizeof(struct conn));
		}
		t->fn(t->arg);
	}
}

int main(void)
{
	if (!stf_is_updating())
		init();
	for (;;) {
		stf_update_point();
		usleep(2000);
		if (!tasks[0].fn) /* never: keeps the tasks in -O2 builds */
			init();
	}
}
