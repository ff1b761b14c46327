/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A library's block whose unused bytes hold what the slot's previous user
 * left there: getline's 120-byte buffer, holding a 7-byte line, takes the
 * slot of a just-freed program block full of pointers to a live node
 * of a chain (as
 * libev's arrays, grown without initializing, took dbgkv's freed blocks'
 * header links).  The program keeps the buffer behind `void *`, so the
 * transfer reads its words conservatively.  Version 2's node grows: a
 * leftover pointer would pin the node at its address and the update
 * rolls back (t/xfer/stale23-libcap.xfer: waiting). */
#define _GNU_SOURCE
#include "xt.h"

struct node {
	long key;
	struct node *next;
	long pad[4];
#ifdef V2
	long added[6];
#endif
};

#define NNODES 9

struct holder {
	struct node *n[15];
};

static struct node *root;
static void *kept_line;  /* the library's buffer, as a generic container keeps it */

static void init(void)
{
	FILE *in = fmemopen("hello\n", 6, "r");
	/* a chain of nodes allocated one after another: the leftovers point
	 * to three neighbours, which, pinned, could not grow where they are */
	for (long k = NNODES; k > 0; k--) {
		struct node *n = malloc(sizeof *n);
		n->key = k;
		n->next = root;
		root = n;
	}
	struct node *middle = root;
	for (int k = 0; k < NNODES / 2; k++)
		middle = middle->next;
	struct holder *h = malloc(sizeof *h);
	for (int i = 0; i < 15; i++)
		h->n[i] = i % 3 == 0 ? middle : i % 3 == 1 ? middle->next : middle->next->next;
	free(h);
	char *line = NULL;
	size_t cap = 0;
	if (getline(&line, &cap, in) != 6 || cap != sizeof *h) {
		fprintf(stderr, "getline did not read the line into a %zu-byte buffer\n", sizeof *h);
		exit(1);
	}
	if ((void *)line != (void *)h) {
		fprintf(stderr, "getline's buffer did not take the freed holder's slot\n");
		exit(1);
	}
	fclose(in);
	kept_line = line;
}

static void check(void)
{
	long k = 1;
	for (struct node *n = root; n; n = n->next, k++) {
		CHECK(n->key == k);
#ifdef V2
		CHECK(n->added[0] == 0 && n->added[5] == 0);
#endif
	}
	CHECK(k == NNODES + 1);
	CHECK(strcmp(kept_line, "hello\n") == 0);
}

XT_MAIN_CHECKED(init, check)
