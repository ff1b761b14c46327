/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Version 2 of bytesheap.c: struct item gains a member at its end.
 */
#include "xt.h"

struct item {
	int id;
	char name[12];
	long hits;
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
	XT_V2_RECEIVE(init);
	struct elt *e = (struct elt *)elts;
	CHECK(e[0].value == item);
	CHECK(item->id == 7 && !strcmp(item->name, "seven") && item->hits == 0);
	CHECK(e[0].len == 4 && !memcmp(e[0].name, "item", 4));
	CHECK(e[1].value == names + 6);
	CHECK(!strcmp(e[1].value, "beta gamma"));
	CHECK(e[2].value == &e[0]);
	/* what the program allocates after the update does not overlap them */
	struct item *more = malloc(sizeof(*more));
	CHECK((char *)more >= (char *)(item + 1) || (char *)(more + 1) <= (char *)item);
	free(more);
	XT_V2_RESULT();
}
