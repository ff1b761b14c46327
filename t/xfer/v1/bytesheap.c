/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A block allocated as bytes holding pointers to heap objects: records
 * packed into a u_char block whose `void *value` points to a typed item
 * (nginx's hashes of variables and server configurations), into the
 * middle of another byte block, and into the block itself.
 */
#include "xt.h"

struct item {
	int id;
	char name[12];
};

struct elt {
	void *value;
	unsigned short len;
	char name[6];
};

static unsigned char *elts, *names;
static struct item *item;

static __attribute__((noinline)) void init(void)
{
	item = malloc(sizeof(*item));
	item->id = 7;
	strcpy(item->name, "seven");
	names = malloc(32);
	strcpy((char *)names, "alpha beta gamma");
	elts = calloc(1, 64);
	struct elt *e = (struct elt *)elts;
	e[0].value = item;
	e[0].len = 4;
	memcpy(e[0].name, "item", 4);
	e[1].value = names + 6;
	e[2].value = &e[0];
}

int main(void)
{
	init();
	XT_V1_LOOP();
}
