/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A uthash table put in order by HASH_SORT (which relinks the elements'
 * application order through the table's hho) and the same elements on a
 * doubly linked list of Debian's utlist (DL_APPEND: plain prev/next
 * pointers, no offsets kept).  Version 2 adds a member before the handle.
 */
#include <uthash.h>
#include <utlist.h>
#include "xt.h"

struct job {
	int id;
	int prio;
	struct job *prev, *next; /* utlist */
	UT_hash_handle hh;
};

struct job *jobs, *queue;

static int by_prio(struct job *a, struct job *b)
{
	return a->prio - b->prio;
}

static void init(void)
{
	for (int i = 0; i < 25; i++) {
		struct job *j = calloc(1, sizeof *j);
		j->id = i;
		j->prio = (i * 7) % 25;
		HASH_ADD_INT(jobs, id, j);
		DL_APPEND(queue, j);
	}
	HASH_SORT(jobs, by_prio);
}

int main(void)
{
	init();
	XT_V1_LOOP();
}
