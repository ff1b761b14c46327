/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Debian's libbsd <bsd/sys/tree.h> red-black tree and <bsd/sys/queue.h>
 * tail queue: entries embedded in the element, plain pointers, no offsets
 * kept as numbers (the macros compute them at each use from the type).
 * Version 2 (this file with V2 defined) adds a member before both
 * entries: the update commits; the tree finds and walks every key in
 * order, takes an insertion and a removal; the queue keeps the insertion
 * order.
 */
#include <bsd/sys/queue.h>
#include <bsd/sys/tree.h>
#include "xt.h"

struct node {
	int key;
#ifdef V2
	long hits; /* new in 2 */
#endif
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
	XT_PAIR_START(init);
#ifdef V2
	struct node *n, key;
	int k = 0;
	RB_FOREACH(n, ntree, &tree)
		CHECK(n->key == k++ && !n->hits);
	CHECK(k == 40);
	for (int i = 0; i < 40; i++) {
		key.key = i;
		CHECK(RB_FIND(ntree, &tree, &key) != NULL);
	}
	k = 0;
	TAILQ_FOREACH(n, &list, order)
		CHECK(n->key == (k++ * 17) % 40);
	CHECK(k == 40);
	key.key = 5;
	n = RB_FIND(ntree, &tree, &key);
	if (n) {
		RB_REMOVE(ntree, &tree, n);
		TAILQ_REMOVE(&list, n, order);
	}
	n = calloc(1, sizeof *n);
	n->key = 100;
	RB_INSERT(ntree, &tree, n);
	CHECK(RB_MAX(ntree, &tree) == n && RB_MIN(ntree, &tree)->key == 0);
	key.key = 5;
	CHECK(!RB_FIND(ntree, &tree, &key));
	XT_V2_RESULT();
#endif
}
