/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of tagsame.c: nothing changes. */
#include "xt.h"

enum ctype { C_NUM, C_NAME, C_NEXT };

struct cell {
	enum ctype type;

	union {
		long num;
		char *name;
		struct cell *next;
	} v STF_PXFER;
	union {
		double d;
		long l;
	} stat STF_IXFER;
};

static struct cell *cells;
static struct cell *head;

static __attribute__((noinline)) void init(void)
{
	cells = calloc(4, sizeof(*cells));
	cells[0].type = C_NUM;
	cells[0].v.num = 42;
	cells[1].type = C_NAME;
	cells[1].v.name = strdup("cell one");
	cells[2].type = C_NEXT;
	cells[2].v.next = &cells[0];
	cells[3].type = C_NAME;
	cells[3].v.name = cells[1].v.name + 5;
	for (int i = 0; i < 4; i++)
		cells[i].stat.d = i * 0.25;
	head = &cells[2];
}

int main(void)
{
	XT_V2_RECEIVE(init);
	CHECK(cells[0].type == C_NUM && cells[0].v.num == 42);
	CHECK(cells[1].type == C_NAME && !strcmp(cells[1].v.name, "cell one"));
	CHECK(cells[2].type == C_NEXT && cells[2].v.next == &cells[0]);
	CHECK(cells[3].v.name == cells[1].v.name + 5);
	for (int i = 0; i < 4; i++)
		CHECK(cells[i].stat.d == i * 0.25);
	CHECK(head == &cells[2]);
	XT_V2_RESULT();
}
