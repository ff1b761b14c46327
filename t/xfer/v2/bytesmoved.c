/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Version 2 of bytesmoved.c: struct item gains a member before `name`
 * (the update must not commit).
 */
#include "xt.h"

struct item {
	int id;
	long hits;
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
	XT_V2_RECEIVE(init);
	XT_V2_RESULT();
}
