/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A hash table made the way uthash makes one (the header outside C
 * programmers copy into their trees): a handle embedded at the end of
 * each element, the element pointers of its list as `void *` to the
 * elements' starts, the buckets pointing at handles, and the table
 * keeping the handle's offset in the element (hho), measured at the first
 * insertion, to go from a handle back to its element.  Version 2 adds a
 * member before the handle: the offset the table keeps must follow it.
 */
#include <stddef.h>
#include "xt.h"

struct ut_hh {
	struct ut_table *tbl;
	void *prev, *next;            /* elements, not handles */
	struct ut_hh *hh_prev, *hh_next;
	const void *key;
	unsigned keylen, hashv;
};

struct ut_table {
	struct ut_hh **buckets;
	unsigned num_buckets, num_items;
	struct ut_hh *tail;
	ptrdiff_t hho;                /* handle's offset in the element */
};

struct user {
	int id;
	char name[16];
	struct ut_hh hh;
};

#define NBUCKETS 8
#define ELMT_FROM_HH(tbl, hhp) ((void *)((char *)(hhp) - (tbl)->hho))

static struct user *users;

static unsigned hash_int(const void *k) { return *(const unsigned *)k * 2654435761u; }

static __attribute__((noinline)) void add_user(struct user *u)
{
	u->hh.key = &u->id;
	u->hh.keylen = sizeof u->id;
	u->hh.hashv = hash_int(&u->id);
	u->hh.next = NULL;
	if (!users) {
		users = u;
		u->hh.prev = NULL;
		u->hh.tbl = calloc(1, sizeof(struct ut_table));
		u->hh.tbl->num_buckets = NBUCKETS;
		u->hh.tbl->buckets = calloc(NBUCKETS, sizeof(struct ut_hh *));
		u->hh.tbl->tail = &u->hh;
		u->hh.tbl->hho = (char *)&u->hh - (char *)u;
	} else {
		struct ut_table *t = users->hh.tbl;
		u->hh.tbl = t;
		u->hh.prev = ELMT_FROM_HH(t, t->tail);
		t->tail->next = u;
		t->tail = &u->hh;
	}
	struct ut_hh **b = &u->hh.tbl->buckets[u->hh.hashv % NBUCKETS];
	u->hh.hh_next = *b;
	u->hh.hh_prev = NULL;
	if (*b)
		(*b)->hh_prev = &u->hh;
	*b = &u->hh;
	u->hh.tbl->num_items++;
}

static void init(void)
{
	for (int i = 0; i < 20; i++) {
		struct user *u = calloc(1, sizeof *u);
		u->id = 100 + i;
		snprintf(u->name, sizeof u->name, "user%d", i);
		add_user(u);
	}
}

int main(void)
{
	init();
	XT_V1_LOOP();
}
