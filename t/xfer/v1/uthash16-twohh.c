/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * One struct in two uthash tables: by id through hh, by code through
 * hh2 (HASH_ADD with the handle's name).  Each table keeps the offset of
 * its own handle.  Version 2 adds a member before hh and one between hh
 * and hh2: the two offsets move by different amounts.
 */
#include <uthash.h>
#include "xt.h"

struct item {
	int id;
	int code;
	UT_hash_handle hh;
	char label[12];
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
	init();
	XT_V1_LOOP();
}
