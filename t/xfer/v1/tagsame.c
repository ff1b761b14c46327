/* SPDX-License-Identifier: GPL-3.0-or-later */
/* tagged.c with a struct that does not change (copied by its layout):
 * tagged unions annotated on the member, STF_PXFER (the union holds a
 * pointer or a small integer) and STF_IXFER (numbers only). */
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
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
