/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of intrusive.c: the task's list members move and it grows. */
#include <stddef.h>
#include "xt.h"

struct list_head {
	struct list_head *next, *prev;
};

#define container_of(p, T, m) ((T *)((char *)(p) - offsetof(T, m)))

static void list_add_tail(struct list_head *n, struct list_head *h)
{
	n->prev = h->prev;
	n->next = h;
	h->prev->next = n;
	h->prev = n;
}

struct task {
	struct list_head run;
	char name[16];
	long prio;
	struct list_head all;
	int id;
};

static struct list_head all_tasks = { &all_tasks, &all_tasks };
static struct list_head runq = { &runq, &runq };
static struct list_head *cursor;

static __attribute__((noinline)) void init(void)
{
	for (int i = 0; i < 5; i++) {
		struct task *t = calloc(1, sizeof(*t));
		t->id = i;
		t->prio = 10 * i;
		list_add_tail(&t->all, &all_tasks);
		if (i & 1)
			list_add_tail(&t->run, &runq);
	}
	cursor = all_tasks.next->next;
}

int main(void)
{
	XT_V2_RECEIVE(init);
	int n = 0;
	for (struct list_head *p = all_tasks.next; p != &all_tasks; p = p->next, n++) {
		struct task *t = container_of(p, struct task, all);
		CHECK(n < 5 && t->id == n && t->prio == 10 * n && !t->name[0]);
		CHECK(p->next->prev == p && p->prev->next == p);
		if (n == 1)
			CHECK(cursor == p);
	}
	CHECK(n == 5);
	n = 0;
	for (struct list_head *p = runq.next; p != &runq; p = p->next, n++) {
		struct task *t = container_of(p, struct task, run);
		CHECK(t->id == 2 * n + 1 && p->next->prev == p);
	}
	CHECK(n == 2);
	XT_V2_RESULT();
}
