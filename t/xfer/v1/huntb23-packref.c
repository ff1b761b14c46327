/* SPDX-License-Identifier: GPL-3.0-or-later */
/* t/idioms/genkv's small values in a node's two `void *` slots, with the
 * reference memcpy'd there packed (`struct ref` of a 4-byte hop count
 * and then a node pointer, 12 bytes): the pointer lies across the two
 * slots, at byte 4.  Version 2 (-DV2) grows the node, so the nodes move
 * and every reference must follow its node. */
#include "xt.h"

struct node {
	struct node *next;
	int id;
#ifdef V2
	long extra; /* new */
#endif
	void *val[2];
};

struct __attribute__((packed)) ref {
	unsigned hops;
	struct node *to;
};

#define NNODES 8

struct node *head; /* not static: kept at -O2 */

static void init(void)
{
	struct node *nodes[NNODES];

	for (int i = NNODES - 1; i >= 0; i--) {
		nodes[i] = calloc(1, sizeof(*nodes[i]));
		nodes[i]->id = i;
		nodes[i]->next = head;
		head = nodes[i];
	}
	for (int i = 0; i < NNODES; i++) {
		struct ref r = { (unsigned)i, nodes[(i + 1) % NNODES] };
		memcpy(nodes[i]->val, &r, sizeof(r));
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
	for (struct node *nd = head; nd && n <= NNODES; nd = nd->next, n++) {
		struct ref r;
		memcpy(&r, nd->val, sizeof(r));
		CHECK(nd->id == n && r.hops == (unsigned)n);
		int found = 0;
		for (struct node *m = head; m; m = m->next)
			found |= m == r.to;
		CHECK(found && r.to->id == (n + 1) % NNODES);
	}
	CHECK(n == NNODES);
	XT_V2_RESULT();
}
#endif
