/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of cbambig.c: struct conn gains a member before hits, and the
 * tasks' arguments are read only through their callbacks (if the update
 * committed, they would have to be right). */
#include "xt.h"

struct conn {
	int fd;
	unsigned long bytes;
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

static int conn_ok(void *arg)
{
	struct conn *c = arg;
	return c->hits == 1 && c->bytes == 0;
}

int main(void)
{
	XT_V2_RECEIVE(init);
	for (int i = 0; i < 4; i += 2)
		CHECK(conn_ok(tasks[i].arg));
	XT_V2_RESULT();
}
