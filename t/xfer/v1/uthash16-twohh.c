/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * One struct in two uthash tables: by id through hh, by code through
 * hh2 (HASH_ADD with the handle's name).  Each table keeps the offset of
 * its own handle.  Version 2 adds a member before hh and one between hh
 * and hh2: the two offsets move by different amounts.  Version 2 (this
 * file with V2 defined) finds every item through both tables, each by its
 * own handle's new offset, and both tables take a deletion after the
 * update.
 */
#include <stddef.h>
#include <uthash.h>
#include "xt.h"

struct item {
	int id;
	int code;
#ifdef V2
	double weight; /* new in 2 */
#endif
	UT_hash_handle hh;
	char label[12];
#ifdef V2
	long seen; /* new in 2 */
#endif
	UT_hash_handle hh2;
};

struct item *by_id, *by_code;

static void init(void)
{
	for (int i = 0; i < 30; i++) {
		struct item *it = calloc(1, sizeof *it);
		it->id = i;
		it->code = 900 - 11 * i;
		snprintf(it->label, sizeof it->label, "item%d", i);
		HASH_ADD_INT(by_id, id, it);
		HASH_ADD(hh2, by_code, code, sizeof(int), it);
	}
}

int main(void)
{
	XT_PAIR_START(init);
#ifdef V2
	CHECK(by_id && by_id->hh.tbl->hho == offsetof(struct item, hh));
	CHECK(by_code && by_code->hh2.tbl->hho == offsetof(struct item, hh2));
	for (int i = 0; i < 30; i++) {
		struct item *a, *b;
		int code = 900 - 11 * i;
		char want[12];
		snprintf(want, sizeof want, "item%d", i);
		HASH_FIND_INT(by_id, &i, a);
		HASH_FIND(hh2, by_code, &code, sizeof(int), b);
		CHECK(a && a == b && a->id == i && !strcmp(a->label, want) && !a->seen);
	}
	struct item *it;
	int id = 4;
	HASH_FIND_INT(by_id, &id, it);
	if (it) {
		HASH_DEL(by_id, it);
		HASH_DELETE(hh2, by_code, it);
	}
	CHECK(it && HASH_COUNT(by_id) == 29 && HASH_CNT(hh2, by_code) == 29);
	XT_V2_RESULT();
#endif
}
