/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Intrusive circular lists (struct list_head embedded in the objects,
 * container_of to get back), one node type embedded twice. */
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
	int id;
	struct list_head all;
	int prio;
	struct list_head run;
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
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
