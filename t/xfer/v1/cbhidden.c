/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cbtask.c again (version 2 differs: see v2/cbhidden.c).
 * A task queue of (function, argument) pairs: `t->fn = handle_conn;
 * t->arg = calloc(1, sizeof(struct conn))`, run as `t->fn(t->arg)`.  The
 * argument's block comes from a site of no type (a `void *` target) and
 * only the callback says what it holds (`struct conn *c = arg`).
 * Version 2 extends struct conn: the block must arrive as version 2's
 * struct, or the update must refuse it (copied as bytes, version 2 would
 * read every member after fd at the wrong offset). */
#include "xt.h"

struct conn {
	int fd;
	unsigned long hits;
	char name[16];
};

struct task {
	void (*fn)(void *);
	void *arg;
};

static struct task tasks[3];
static int next_fd = 10;

static void handle_conn(void *arg)
{
	struct conn *c = arg;
	if (!c->fd) { /* set up on its first run */
		c->fd = next_fd++;
		strcpy(c->name, "conn");
	}
	c->hits++;
}

static __attribute__((noinline)) void run_tasks(void)
{
	for (int i = 0; i < 3; i++)
		tasks[i].fn(tasks[i].arg);
}

static __attribute__((noinline)) void init(void)
{
	for (int i = 0; i < 3; i++) {
		struct task *t = &tasks[i];
		t->fn = handle_conn;
		t->arg = calloc(1, sizeof(struct conn));
		for (int k = 0; k <= i; k++)
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
		if (next_fd < 0) /* never: keeps run_tasks in -O2 builds */
			run_tasks();
	}
}
