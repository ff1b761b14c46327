/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Two prefix-sharing variants of one size: a list of `struct shape *`
 * holds blocks allocated as struct circle or struct square, both 24
 * bytes, both sharing struct shape's first three members.  A block's size
 * cannot tell which it is; version 2 adds a member to struct circle, so
 * the update must roll back naming both (it never guesses).  Written
 * once: version 2 is this file with V2 defined.
 */
#include "xt.h"

struct shape {
	int kind, id;
	struct shape *next;
	double area;
	char label[32];
};

struct circle {
	int kind, id;
	struct shape *next;
	double radius;
#ifdef V2
	double cx;
#endif
};

struct square {
	int kind, id;
	struct shape *next;
	long side;
};

static struct shape *shapes;

static __attribute__((noinline)) void add(int kind, int id)
{
	size_t size = kind == 1 ? sizeof(struct circle) : kind == 2 ? sizeof(struct square) :
		      sizeof(struct shape);
	struct shape *s = calloc(1, size);
	s->kind = kind;
	s->id = id;
	if (kind == 1)
		((struct circle *)s)->radius = id * 1.5;
	else if (kind == 2)
		((struct square *)s)->side = id * 3;
	s->next = shapes;
	shapes = s;
}

static __attribute__((noinline)) void init(void)
{
	for (int i = 1; i <= 4; i++) {
		add(1, i);
		add(2, i);
	}
}

static void check(void)
{
	int n = 0;
	for (const struct shape *s = shapes; s; s = s->next, n++)
		if (s->kind == 1)
			CHECK(((const struct circle *)s)->radius == s->id * 1.5);
		else
			CHECK(s->kind == 2 && ((const struct square *)s)->side == s->id * 3);
	CHECK(n == 8);
}

XT_MAIN_CHECKED(init, check)
