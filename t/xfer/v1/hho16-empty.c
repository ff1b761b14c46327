/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A hash table made the way uthash makes one (hunt15-hho), but created
 * empty at startup with the handle's offset already measured: no element
 * is reached through its pointers to tell which struct the offset is of.
 * Version 2 (this file with V2 defined) adds a member before the handle
 * of struct user, the one struct holding a handle at that offset.  The
 * update rolls back (version 2's check never runs).
 */
#include <stddef.h>
#include "xt.h"

struct ut_hh {
	struct ut_table *tbl;
	void *prev, *next;
	struct ut_hh *hh_prev, *hh_next;
};

struct ut_table {
	struct ut_hh **buckets;
	unsigned num_buckets, num_items;
	struct ut_hh *tail;
	ptrdiff_t hho;
};

struct user {
	int id;
	char name[16];
#ifdef V2
	long logins; /* new in 2 */
#endif
	struct ut_hh hh;
};

#define ELMT_FROM_HH(tbl, hhp) ((void *)((char *)(hhp) - (tbl)->hho))

struct ut_table *table;
struct user probe;

static void init(void)
{
	table = calloc(1, sizeof *table);
	table->num_buckets = 8;
	table->buckets = calloc(8, sizeof(struct ut_hh *));
	table->hho = (char *)&probe.hh - (char *)&probe;
}

/* the code that would find elements: it makes hho an offset member */
struct user *first(void)
{
	for (unsigned b = 0; b < table->num_buckets; b++)
		if (table->buckets[b])
			return ELMT_FROM_HH(table, table->buckets[b]);
	return NULL;
}

int main(void)
{
	XT_PAIR_START(init);
#ifdef V2
	CHECK(table->hho == offsetof(struct user, hh) && !first());
	XT_V2_RESULT();
#endif
}
