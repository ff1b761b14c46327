/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A GQueue whose links are GList structs embedded in the program's
 * tasks (g_queue_push_tail_link (q, &t->link), link.data = t): GLib's
 * queue header points into the tasks, the links into each other.
 * Version 2 adds a member before the link: the link moves in the task.
 */
#include <glib.h>
#include "xt.h"

struct task {
	int id;
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
	init();
	if (g_queue_get_length(queue) != 6)
		return 1;
	XT_V1_LOOP();
}
