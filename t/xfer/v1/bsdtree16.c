/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Debian's libbsd <bsd/sys/tree.h> red-black tree and <bsd/sys/queue.h>
 * tail queue: entries embedded in the element, plain pointers, no offsets
 * kept as numbers (the macros compute them at each use from the type).
 * Version 2 adds a member before both entries: the update commits.
 */
#include <bsd/sys/queue.h>
#include <bsd/sys/tree.h>
#include "xt.h"

struct node {
	int key;
	RB_ENTRY(node) link;
	TAILQ_ENTRY(node) order;
};

int cmp(struct node *a, struct node *b);
int cmp(struct node *a, struct node *b)
{
	return (a->key > b->key) - (a->key < b->key);
}

RB_HEAD(ntree, node) tree = RB_INITIALIZER(&tree);
RB_PROTOTYPE(ntree, node, link, cmp)
RB_GENERATE(ntree, node, link, cmp)
TAILQ_HEAD(nlist, node) list = TAILQ_HEAD_INITIALIZER(list);

static void init(void)
{
	for (int i = 0; i < 40; i++) {
		struct node *n = calloc(1, sizeof *n);
		n->key = (i * 17) % 40;
		RB_INSERT(ntree, &tree, n);
		TAILQ_INSERT_TAIL(&list, n, order);
	}
}

int main(void)
{
	init();
	XT_V1_LOOP();
}
