/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * The classic struct hack, `char name[1]` last, allocated both ways real
 * code does: `malloc(sizeof(*n) + len)` (the name runs past the struct's
 * end, through its tail padding) and `malloc(offsetof(struct node, name)
 * + len + 1)` (shorter than the struct for short names).  Version 2 adds
 * `prio` before the name, which moves it by 4 bytes while the struct grows
 * by 8: the name's bytes must follow the member, not the struct's end.
 * Written once: version 2 is this file with V2 defined.
 */
#include <stddef.h>
#include "xt.h"

struct node {
	struct node *next;
	int len;
#ifdef V2
	int prio;
#endif
	char name[1];
};

static struct node *by_sizeof, *by_offsetof;
static const unsigned lengths[] = { 0, 1, 2, 3, 4, 5, 8, 13, 40, 97 };
#define NLENGTHS (sizeof(lengths) / sizeof(*lengths))

static void name_of(char *out, unsigned len, unsigned seed)
{
	for (unsigned i = 0; i < len; i++)
		out[i] = (char)('A' + (i * 5 + seed) % 26);
	out[len] = 0;
}

static struct node *node_new(int whole, unsigned len, unsigned seed, struct node *next)
{
	struct node *n = malloc(whole ? sizeof(*n) + len : offsetof(struct node, name) + len + 1);
	n->next = next;
	n->len = (int)len;
	name_of(n->name, len, seed);
	return n;
}

static __attribute__((noinline)) void init(void)
{
	for (unsigned i = 0; i < NLENGTHS; i++) {
		by_sizeof = node_new(1, lengths[i], i, by_sizeof);
		by_offsetof = node_new(0, lengths[i], i + 50, by_offsetof);
	}
}

static void check_list(const struct node *n, unsigned seed0)
{
	char buf[128];
	for (int i = (int)NLENGTHS - 1; i >= 0; i--, n = n->next) {
		CHECK(n != NULL);
		if (!n)
			return;
		name_of(buf, lengths[i], (unsigned)i + seed0);
		CHECK(n->len == (int)lengths[i] && !strcmp(n->name, buf));
#ifdef V2
		CHECK(n->prio == 0);
#endif
	}
	CHECK(n == NULL);
}

static void check(void)
{
	check_list(by_sizeof, 0);
	check_list(by_offsetof, 50);
}

XT_MAIN_CHECKED(init, check)
