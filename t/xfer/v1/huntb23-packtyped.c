/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A packed struct's pointer member at byte 4 (`struct ref` of a 4-byte
 * hop count and then a node pointer) in typed heap objects and a static;
 * version 2 (-DV2) grows the node, so the nodes move and every
 * reference must follow its node. */
#include "xt.h"

struct node {
	struct node *next;
	int id;
#ifdef V2
	long extra; /* new */
#endif
};

struct __attribute__((packed)) ref {
	unsigned hops;
	struct node *to;
};

#define NNODES 8

struct node *head;          /* not static: kept at -O2 */
struct ref *refs[NNODES];
struct ref first;

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
		refs[i] = calloc(1, sizeof(*refs[i]));
		refs[i]->hops = (unsigned)i;
		refs[i]->to = nodes[(i + 1) % NNODES];
	}
	first.hops = 99;
	first.to = head;
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
	for (struct node *nd = head; nd && n <= NNODES; nd = nd->next, n++)
		CHECK(nd->id == n);
	CHECK(n == NNODES);
	for (int i = 0; i < NNODES; i++) {
		struct node *to = refs[i]->to;
		int found = 0;
		for (struct node *m = head; m; m = m->next)
			found |= m == to;
		CHECK(refs[i]->hops == (unsigned)i && found && to->id == (i + 1) % NNODES);
	}
	CHECK(first.hops == 99 && first.to == head);
	XT_V2_RESULT();
}
#endif
