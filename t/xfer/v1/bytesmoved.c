/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A block allocated as bytes holding the address of a member of a typed
 * heap object (a record's `void *value` pointing to item->name).
 */
#include "xt.h"

struct item {
	int id;
	char name[12];
};

static unsigned char *elts;
static struct item *item;

static __attribute__((noinline)) void init(void)
{
	item = malloc(sizeof(*item));
	item->id = 7;
	strcpy(item->name, "seven");
	elts = calloc(1, 32);
	void *value = item->name;
	memcpy(elts, &value, sizeof(value));
}

int main(void)
{
	init();
	XT_V1_LOOP();
}
