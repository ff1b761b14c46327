/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A Linux-style list walked by list_for_each_entry in the function holding
 * the update point: once the walk is over, its cursor (a local struct conn
 * *) holds container_of(&conns, struct conn, node), the static list head
 * minus the node's offset - an address in the executable's data where no
 * symbol is (t/idioms/jobd's loop).  Version 2 adds a member before the
 * node: the cursor must come to point at version 2's container_of of the
 * head (a walk resumed from it ends at once), or the update must refuse. */
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

static __attribute__((noinline)) void init(void)
{
	for (int i = 0; i < 3; i++) {
		struct conn *c = calloc(1, sizeof *c);
		c->fd = 10 + i;
		list_add_tail(&c->node, &conns);
	}
}

int main(void)
{
	struct conn *c = NULL;
	unsigned long rounds = 0;

	if (!stf_is_updating())
		init();
	for (;;) {
		stf_update_point();
		list_for_each_entry(c, &conns, node)
			c->hits++;
		rounds++;
		usleep(2000);
	}
}
