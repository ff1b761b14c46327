/* SPDX-License-Identifier: GPL-3.0-or-later */
/* 200,000 list nodes linked against their allocation order (each points
 * to the one allocated before it), every 100th the only holder of a side
 * block's address in an integer, and (unless NO_LEAKS) every 1,000th
 * node's neighbour a leaked cycle of three blocks with a side block only
 * the cycle reaches: enough objects for the walk that finds the blocks
 * nothing carried reaches (libstf/transfer/unreached.c) to be cut in
 * parts, each part reaching blocks of the others (see unreachedparts.sh). */
#include <stdint.h>

#include "xt.h"

#define NODES 200000

struct node {
	struct node *next;
	long val;
	uintptr_t side; /* every 100th: the only reference to a struct side */
};

struct side {
	long val;
};

/* 4 blocks per 1,000 nodes that nothing carried reaches: the forward
 * transfer drops them, the differencing does not ask for them back */
struct leak {
	struct leak *next;
	struct side *side;
};

static struct node *head;

#ifndef NO_LEAKS
static __attribute__((noinline)) void leak_cycle(long i)
{
	struct leak *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b)), *c = malloc(sizeof(*c));
	struct side *s = malloc(sizeof(*s));
	s->val = -i;
	a->next = b;
	b->next = c;
	c->next = a;
	a->side = s;
	b->side = c->side = NULL;
}
#endif

static __attribute__((noinline)) void init(void)
{
	for (long i = 0; i < NODES; i++) {
		struct node *n = malloc(sizeof(*n));
		n->next = head;
		n->val = i;
		n->side = 0;
		if (i % 100 == 0) {
			struct side *s = malloc(sizeof(*s));
			s->val = i;
			n->side = (uintptr_t)s;
		}
		head = n;
#ifndef NO_LEAKS
		if (i % 1000 == 0)
			leak_cycle(i);
#endif
	}
}

#ifdef V2
static void check(void)
{
	long i = NODES;
	for (const struct node *n = head; n && !xt_fails; n = n->next) {
		i--;
		CHECK(n->val == i);
		CHECK(i % 100 ? !n->side : n->side && ((const struct side *)n->side)->val == i);
	}
	CHECK(i == 0);
}

#endif

int main(void)
{
	XT_PAIR_START(init);
#ifdef V2
	check();
	XT_V2_RESULT();
#endif
}
