/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of cbtask.c: struct conn gains members before hits. */
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

int main(void)
{
	XT_V2_RECEIVE(init);
	CHECK(next_fd == 13);
	for (int i = 0; i < 3; i++) {
		struct conn *c = tasks[i].arg;
		struct stf_object_info info;
		CHECK(tasks[i].fn == handle_conn);
		CHECK(stf_lookup(c, &info) == 0 && info.size >= sizeof(*c));
		CHECK(c->fd == 10 + i && c->hits == 1u + i && !strcmp(c->name, "conn"));
		CHECK(c->flags == 0 && c->bytes == 0);
		tasks[i].fn(tasks[i].arg);
		CHECK(c->hits == 2u + i && c->bytes == 100);
	}
	XT_V2_RESULT();
}
