/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of cbhidden.c: struct conn gains members before hits, and the
 * tasks' arguments are read only through `void *` parameters. */
#include "xt.h"

struct conn {
	int fd;
	int flags;
	unsigned long bytes;
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
	if (!c->fd) {
		c->fd = next_fd++;
		strcpy(c->name, "conn");
	}
	c->hits++;
	c->bytes += 100;
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

static int conn_ok(void *arg, int i)
{
	struct conn *c = arg;
	struct stf_object_info info;
	return stf_lookup(c, &info) == 0 && info.size >= sizeof(*c) && c->fd == 10 + i &&
	       c->hits == 1u + i && !strcmp(c->name, "conn") && c->flags == 0 && c->bytes == 0;
}

int main(void)
{
	XT_V2_RECEIVE(init);
	CHECK(next_fd == 13);
	for (int i = 0; i < 3; i++) {
		CHECK(tasks[i].fn == handle_conn);
		CHECK(conn_ok(tasks[i].arg, i));
	}
	XT_V2_RESULT();
}
