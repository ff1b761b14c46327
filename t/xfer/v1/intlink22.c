/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A list linked through a plain integer member (`size_t next` holding the
 * next node's address, as t/idioms/blobq's message cache links given-back
 * messages through their size_t len): integers are never relocated, so
 * the nodes they name keep their addresses (pinned).  Version 2 (built
 * with -DV2) grows the node by a member, which fits its block: the nodes
 * grow in place.  With -DBIG it grows past its block by 128 bytes, over
 * its pinned neighbour: the update must roll back naming the node rather
 * than commit links naming the old places.  Version 2 walks the list. */
#include "xt.h"

struct node {
	size_t next;             /* (size_t)&next node, 0 at the end */
	int id;
#ifdef V2
	long weight;             /* new */
#ifdef BIG
	long history[16];        /* new: past its block */
#endif
#endif
};

#define NNODES 16

size_t head;                 /* not static: kept at -O2 */

static void init(void)
{
	for (int i = NNODES - 1; i >= 0; i--) {
		struct node *n = calloc(1, sizeof(*n));
		n->id = i;
		n->next = head;
		head = (size_t)n;
	}
}

#ifndef V2
int main(void)
{
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
#else
int main(void)
{
	XT_V2_RECEIVE(init);
	int n = 0;
	for (size_t a = head; a && n <= NNODES; a = ((struct node *)a)->next) {
		struct node *node = (struct node *)a;
		CHECK(node->id == n && node->weight == 0);
		n++;
	}
	CHECK(n == NNODES);
	XT_V2_RESULT();
}
#endif
