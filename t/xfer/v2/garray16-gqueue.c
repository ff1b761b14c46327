/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <glib.h>
#include "xt.h"

struct task {
	int id;
	long prio;    /* new in 2 */
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
