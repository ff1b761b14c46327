/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A generic intrusive list whose descriptor, a static, keeps the offset
 * of the link in the element (initialized with offsetof): the code goes
 * from a link back to its element by subtracting it.  Version 2 adds a
 * member before the link; its initializer holds the new offset.  Version
 * 2 (this file with V2 defined) finds every item from its link by the
 * offset the descriptor keeps.
 */
#include <stddef.h>
#include "xt.h"

struct link {
	struct link *next;
};

struct list_desc {
	const char *name;
	size_t link_off;
};

struct item {
	int id;
#ifdef V2
	double score; /* new in 2 */
#endif
	struct link link;
};

struct list_desc items_desc = { "items", offsetof(struct item, link) };
struct link *items;

static struct item *item_of(struct link *l)
{
	return (struct item *)((char *)l - items_desc.link_off);
}

static void init(void)
{
	for (int i = 0; i < 10; i++) {
		struct item *it = calloc(1, sizeof *it);
		it->id = i;
		it->link.next = items;
		items = &it->link;
	}
}

int main(void)
{
#ifdef V2
	XT_V2_RECEIVE(init);
	CHECK(items_desc.link_off == offsetof(struct item, link));
	int n = 9;
	for (struct link *l = items; l; l = l->next)
		CHECK(item_of(l)->id == n-- && !item_of(l)->score);
	CHECK(n == -1);
	XT_V2_RESULT();
#else
	init();
	CHECK(item_of(items)->id == 9);
	XT_V1_LOOP();
#endif
}
