/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of red11-listend.c: struct conn gains a member before its
 * list node; the loop's cursor must be version 2's container_of of the
 * list head. */
#include <stddef.h>
#include "xt.h"

struct list_head {
	struct list_head *next, *prev;
};

#define container_of(p, type, member) ((type *)((char *)(p) - offsetof(type, member)))
#define list_for_each_entry(pos, head, member)                                         \
	for (pos = container_of((head)->next, __typeof__(*pos), member); &pos->member != (head); \
	     pos = container_of(pos->member.next, __typeof__(*pos), member))

static void list_add_tail(struct list_head *n, struct list_head *h)
{
	n->prev = h->prev;
	n->next = h;
	h->prev->next = n;
	h->prev = n;
}

struct conn {
	int fd;
	long prio; /* new in 2 */
	struct list_head node;
	unsigned long hits;
};

#ifdef HEAD_IN_STRUCT /* red11-listend-member: after another member */
static struct {
	int nconns;
	struct list_head head;
} srv = { 0, { &srv.head, &srv.head } };
#define conns srv.head
#else
static struct list_head conns = { &conns, &conns };
#endif
static int started_normally;

static __attribute__((noinline)) void init(void)
{
	for (int i = 0; i < 3; i++) {
		struct conn *c = calloc(1, sizeof *c);
		c->fd = 10 + i;
		list_add_tail(&c->node, &conns);
	}
}

static void check(struct conn *c, unsigned long rounds)
{
	int i = 0;
	CHECK(&c->node == &conns);
	list_for_each_entry(c, &conns, node) {
		CHECK(c->fd == 10 + i && c->prio == 0 && c->hits == rounds);
		i++;
	}
	CHECK(i == 3);
	XT_V2_RESULT();
}

int main(void)
{
	struct conn *c = NULL;
	unsigned long rounds = 0;

	if (!stf_is_updating()) {
		started_normally = 1;
		init();
	}
	for (;;) {
		stf_update_point();
		if (!started_normally)
			check(c, rounds);
		list_for_each_entry(c, &conns, node)
			c->hits++;
		rounds++;
		usleep(2000);
	}
}
