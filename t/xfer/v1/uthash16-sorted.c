/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A uthash table put in order by HASH_SORT (which relinks the elements'
 * application order through the table's hho) and the same elements on a
 * doubly linked list of Debian's utlist (DL_APPEND: plain prev/next
 * pointers, no offsets kept).  Version 2 (this file with V2 defined) adds
 * a member before the handle; its table iterates in priority order, finds
 * every job and sorts again after the update; the utlist list keeps its
 * order.
 */
#include <stddef.h>
#include <uthash.h>
#include <utlist.h>
#include "xt.h"

struct job {
	int id;
	int prio;
	struct job *prev, *next; /* utlist */
#ifdef V2
	char owner[8]; /* new in 2 */
#endif
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

#ifdef V2
static int by_id_desc(struct job *a, struct job *b)
{
	return b->id - a->id;
}
#endif

int main(void)
{
	XT_PAIR_START(init);
#ifdef V2
	CHECK(jobs && jobs->hh.tbl->hho == offsetof(struct job, hh));
	struct job *j, *tmp;
	int n = 0;
	HASH_ITER(hh, jobs, j, tmp) {
		CHECK(j->prio == n);
		n++;
	}
	CHECK(n == 25);
	for (int i = 0; i < 25; i++) {
		HASH_FIND_INT(jobs, &i, j);
		CHECK(j && j->id == i);
	}
	n = 0;
	DL_FOREACH(queue, j)
		CHECK(j->id == n++);
	CHECK(n == 25 && queue->prev->id == 24);
	HASH_SORT(jobs, by_id_desc);
	n = 24;
	HASH_ITER(hh, jobs, j, tmp)
		CHECK(j->id == n--);
	CHECK(n == -1);
	XT_V2_RESULT();
#endif
}
