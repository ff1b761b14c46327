/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of nowhere.c: struct slot gains a member (a changed type is
 * walked member by member); every value that pointed nowhere is kept. */
#include "xt.h"

struct slot {
	int id;
	int flags;
	void *data;
	struct slot *next;
};

struct vec {
	size_t len, cap;
	struct slot **items;
};

static struct slot *head;
static struct vec vec;
static void *tag = (void *)0x10000000;
static char *mode;

static __attribute__((noinline)) void init(void)
{
	head = malloc(sizeof(*head));
	vec.cap = 16;
	vec.items = malloc(vec.cap * sizeof(*vec.items));
	for (vec.len = 0; vec.len < 4; vec.len++)
		vec.items[vec.len] = malloc(sizeof(struct slot));
}

int main(int argc, char **argv)
{
	mode = argc > 1 ? argv[1] : "";
	XT_V2_RECEIVE(init);
	int all = !strcmp(mode, "three");
	CHECK(head->id == 1);
	CHECK(head->data == (!strcmp(mode, "ints") || all ? (void *)123456 : NULL));
	if (!strcmp(mode, "freed") || all)
		CHECK(head->next != NULL); /* stale, as in version 1 */
	else
		CHECK(head->next == NULL);
	CHECK(vec.len == 4 && vec.cap == 16);
	for (size_t k = 0; k < vec.len; k++)
		CHECK(vec.items[k]->id == (int)k && !vec.items[k]->next);
	for (size_t k = vec.len; k < vec.cap; k++)
		CHECK(vec.items[k] == (!strcmp(mode, "garbage") || all ?
				       (struct slot *)(uintptr_t)(0x123456789000ULL + k * 0x40) : NULL));
	CHECK(tag == (!strcmp(mode, "ints") || all ? (void *)0x10000000 : NULL));
	XT_V2_RESULT();
}
