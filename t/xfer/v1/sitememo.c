/* SPDX-License-Identifier: GPL-3.0-or-later */
/* 128 allocation sites (a malloc per line) whose objects come
 * interleaved, one of each site in turn, 150 rounds: 19,200 nodes on one list.  More sites than the transfer's 64
 * hashed slots of what it worked out per site, so before each site got
 * its own, most shared one with another and worked everything out again
 * per object.  Types do not change: version 2 finds every node.
 * sitememo.sh counts how often the transfer looks a site up. */
#include "xt.h"

#define NROUNDS 150
#define NSITES 128

struct node {
	struct node *next;
	long site, round;
};

static struct node *head;

/* n, of site k, made in round r, at the list's head */
static struct node *push_node(struct node *n, long k, long r)
{
	n->site = k;
	n->round = r;
	n->next = head;
	return n;
}

/* a malloc per line: each its own site */
static __attribute__((noinline)) void init(void)
{
	for (long r = 0; r < NROUNDS; r++) {
		head = push_node(malloc(sizeof(struct node)), 0, r);
		head = push_node(malloc(sizeof(struct node)), 1, r);
		head = push_node(malloc(sizeof(struct node)), 2, r);
		head = push_node(malloc(sizeof(struct node)), 3, r);
		head = push_node(malloc(sizeof(struct node)), 4, r);
		head = push_node(malloc(sizeof(struct node)), 5, r);
		head = push_node(malloc(sizeof(struct node)), 6, r);
		head = push_node(malloc(sizeof(struct node)), 7, r);
		head = push_node(malloc(sizeof(struct node)), 8, r);
		head = push_node(malloc(sizeof(struct node)), 9, r);
		head = push_node(malloc(sizeof(struct node)), 10, r);
		head = push_node(malloc(sizeof(struct node)), 11, r);
		head = push_node(malloc(sizeof(struct node)), 12, r);
		head = push_node(malloc(sizeof(struct node)), 13, r);
		head = push_node(malloc(sizeof(struct node)), 14, r);
		head = push_node(malloc(sizeof(struct node)), 15, r);
		head = push_node(malloc(sizeof(struct node)), 16, r);
		head = push_node(malloc(sizeof(struct node)), 17, r);
		head = push_node(malloc(sizeof(struct node)), 18, r);
		head = push_node(malloc(sizeof(struct node)), 19, r);
		head = push_node(malloc(sizeof(struct node)), 20, r);
		head = push_node(malloc(sizeof(struct node)), 21, r);
		head = push_node(malloc(sizeof(struct node)), 22, r);
		head = push_node(malloc(sizeof(struct node)), 23, r);
		head = push_node(malloc(sizeof(struct node)), 24, r);
		head = push_node(malloc(sizeof(struct node)), 25, r);
		head = push_node(malloc(sizeof(struct node)), 26, r);
		head = push_node(malloc(sizeof(struct node)), 27, r);
		head = push_node(malloc(sizeof(struct node)), 28, r);
		head = push_node(malloc(sizeof(struct node)), 29, r);
		head = push_node(malloc(sizeof(struct node)), 30, r);
		head = push_node(malloc(sizeof(struct node)), 31, r);
		head = push_node(malloc(sizeof(struct node)), 32, r);
		head = push_node(malloc(sizeof(struct node)), 33, r);
		head = push_node(malloc(sizeof(struct node)), 34, r);
		head = push_node(malloc(sizeof(struct node)), 35, r);
		head = push_node(malloc(sizeof(struct node)), 36, r);
		head = push_node(malloc(sizeof(struct node)), 37, r);
		head = push_node(malloc(sizeof(struct node)), 38, r);
		head = push_node(malloc(sizeof(struct node)), 39, r);
		head = push_node(malloc(sizeof(struct node)), 40, r);
		head = push_node(malloc(sizeof(struct node)), 41, r);
		head = push_node(malloc(sizeof(struct node)), 42, r);
		head = push_node(malloc(sizeof(struct node)), 43, r);
		head = push_node(malloc(sizeof(struct node)), 44, r);
		head = push_node(malloc(sizeof(struct node)), 45, r);
		head = push_node(malloc(sizeof(struct node)), 46, r);
		head = push_node(malloc(sizeof(struct node)), 47, r);
		head = push_node(malloc(sizeof(struct node)), 48, r);
		head = push_node(malloc(sizeof(struct node)), 49, r);
		head = push_node(malloc(sizeof(struct node)), 50, r);
		head = push_node(malloc(sizeof(struct node)), 51, r);
		head = push_node(malloc(sizeof(struct node)), 52, r);
		head = push_node(malloc(sizeof(struct node)), 53, r);
		head = push_node(malloc(sizeof(struct node)), 54, r);
		head = push_node(malloc(sizeof(struct node)), 55, r);
		head = push_node(malloc(sizeof(struct node)), 56, r);
		head = push_node(malloc(sizeof(struct node)), 57, r);
		head = push_node(malloc(sizeof(struct node)), 58, r);
		head = push_node(malloc(sizeof(struct node)), 59, r);
		head = push_node(malloc(sizeof(struct node)), 60, r);
		head = push_node(malloc(sizeof(struct node)), 61, r);
		head = push_node(malloc(sizeof(struct node)), 62, r);
		head = push_node(malloc(sizeof(struct node)), 63, r);
		head = push_node(malloc(sizeof(struct node)), 64, r);
		head = push_node(malloc(sizeof(struct node)), 65, r);
		head = push_node(malloc(sizeof(struct node)), 66, r);
		head = push_node(malloc(sizeof(struct node)), 67, r);
		head = push_node(malloc(sizeof(struct node)), 68, r);
		head = push_node(malloc(sizeof(struct node)), 69, r);
		head = push_node(malloc(sizeof(struct node)), 70, r);
		head = push_node(malloc(sizeof(struct node)), 71, r);
		head = push_node(malloc(sizeof(struct node)), 72, r);
		head = push_node(malloc(sizeof(struct node)), 73, r);
		head = push_node(malloc(sizeof(struct node)), 74, r);
		head = push_node(malloc(sizeof(struct node)), 75, r);
		head = push_node(malloc(sizeof(struct node)), 76, r);
		head = push_node(malloc(sizeof(struct node)), 77, r);
		head = push_node(malloc(sizeof(struct node)), 78, r);
		head = push_node(malloc(sizeof(struct node)), 79, r);
		head = push_node(malloc(sizeof(struct node)), 80, r);
		head = push_node(malloc(sizeof(struct node)), 81, r);
		head = push_node(malloc(sizeof(struct node)), 82, r);
		head = push_node(malloc(sizeof(struct node)), 83, r);
		head = push_node(malloc(sizeof(struct node)), 84, r);
		head = push_node(malloc(sizeof(struct node)), 85, r);
		head = push_node(malloc(sizeof(struct node)), 86, r);
		head = push_node(malloc(sizeof(struct node)), 87, r);
		head = push_node(malloc(sizeof(struct node)), 88, r);
		head = push_node(malloc(sizeof(struct node)), 89, r);
		head = push_node(malloc(sizeof(struct node)), 90, r);
		head = push_node(malloc(sizeof(struct node)), 91, r);
		head = push_node(malloc(sizeof(struct node)), 92, r);
		head = push_node(malloc(sizeof(struct node)), 93, r);
		head = push_node(malloc(sizeof(struct node)), 94, r);
		head = push_node(malloc(sizeof(struct node)), 95, r);
		head = push_node(malloc(sizeof(struct node)), 96, r);
		head = push_node(malloc(sizeof(struct node)), 97, r);
		head = push_node(malloc(sizeof(struct node)), 98, r);
		head = push_node(malloc(sizeof(struct node)), 99, r);
		head = push_node(malloc(sizeof(struct node)), 100, r);
		head = push_node(malloc(sizeof(struct node)), 101, r);
		head = push_node(malloc(sizeof(struct node)), 102, r);
		head = push_node(malloc(sizeof(struct node)), 103, r);
		head = push_node(malloc(sizeof(struct node)), 104, r);
		head = push_node(malloc(sizeof(struct node)), 105, r);
		head = push_node(malloc(sizeof(struct node)), 106, r);
		head = push_node(malloc(sizeof(struct node)), 107, r);
		head = push_node(malloc(sizeof(struct node)), 108, r);
		head = push_node(malloc(sizeof(struct node)), 109, r);
		head = push_node(malloc(sizeof(struct node)), 110, r);
		head = push_node(malloc(sizeof(struct node)), 111, r);
		head = push_node(malloc(sizeof(struct node)), 112, r);
		head = push_node(malloc(sizeof(struct node)), 113, r);
		head = push_node(malloc(sizeof(struct node)), 114, r);
		head = push_node(malloc(sizeof(struct node)), 115, r);
		head = push_node(malloc(sizeof(struct node)), 116, r);
		head = push_node(malloc(sizeof(struct node)), 117, r);
		head = push_node(malloc(sizeof(struct node)), 118, r);
		head = push_node(malloc(sizeof(struct node)), 119, r);
		head = push_node(malloc(sizeof(struct node)), 120, r);
		head = push_node(malloc(sizeof(struct node)), 121, r);
		head = push_node(malloc(sizeof(struct node)), 122, r);
		head = push_node(malloc(sizeof(struct node)), 123, r);
		head = push_node(malloc(sizeof(struct node)), 124, r);
		head = push_node(malloc(sizeof(struct node)), 125, r);
		head = push_node(malloc(sizeof(struct node)), 126, r);
		head = push_node(malloc(sizeof(struct node)), 127, r);
	}
}

/* The nodes, newest first: each round's sites from the last down. */
static void check(void)
{
	const struct node *n = head;
	for (long r = NROUNDS - 1; r >= 0 && !xt_fails; r--)
		for (long k = NSITES - 1; k >= 0 && !xt_fails; k--) {
			CHECK(n && n->site == k && n->round == r);
			n = n ? n->next : NULL;
		}
	CHECK(!n);
}

XT_MAIN_CHECKED(init, check)
