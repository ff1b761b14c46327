/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A GQueue whose links are GList structs embedded in the program's
 * tasks (g_queue_push_tail_link (q, &t->link), link.data = t): GLib's
 * queue header points into the tasks, the links into each other.
 * Version 2 (this file with V2 defined) adds a member before the link:
 * the link moves in the task.
 */
#include <glib.h>
#include "xt.h"

struct task {
	int id;
#ifdef V2
	long prio;    /* new in 2 */
#endif
	GList link;
	char name[8];
};

static GQueue *queue;

static void init(void)
{
	queue = g_queue_new();
	for (int i = 0; i < 6; i++) {
		struct task *t = calloc(1, sizeof(*t));
		t->id = 10 + i;
		snprintf(t->name, sizeof(t->name), "t%d", i);
		t->link.data = t;
		g_queue_push_tail_link(queue, &t->link);
	}
}

#ifdef V2
int main(void)
{
	XT_V2_RECEIVE(init);
	CHECK(queue && g_queue_get_length(queue) == 6);
	int i = 0;
	for (GList *l = queue ? queue->head : NULL; l; l = l->next, i++) {
		struct task *t = l->data;
		char want[8];
		snprintf(want, sizeof(want), "t%d", i);
		CHECK(t && &t->link == l && t->id == 10 + i && t->prio == 0 && !strcmp(t->name, want));
	}
	CHECK(i == 6);
	struct task *last = g_queue_peek_tail(queue);
	CHECK(last && last->id == 15 && queue->tail == &last->link);
	GList *first = g_queue_pop_head_link(queue);
	CHECK(first && ((struct task *)first->data)->id == 10 && g_queue_get_length(queue) == 5);
	XT_V2_RESULT();
}
#else
int main(void)
{
	init();
	if (g_queue_get_length(queue) != 6)
		return 1;
	XT_V1_LOOP();
}
#endif
