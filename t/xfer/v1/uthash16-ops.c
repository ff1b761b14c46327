/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Two tables of Debian's uthash (HASH_ADD_INT, HASH_FIND_INT, HASH_DEL):
 * the table keeps the offset of the handle in the element (hho) and goes
 * from a bucket's handle back to its element by subtracting it.  Version
 * 2 adds a member before the handle of struct user (its hho must follow)
 * and one after the handle of struct group (its hho stays).  Version 2
 * (this file with V2 defined) finds every user and group through the
 * buckets (handle -> element by the table's hho), not the deleted users,
 * and the tables take new elements and deletions after the update.
 */
#include <stddef.h>
#include <uthash.h>
#include "xt.h"

struct user {
	int id;
	char name[16];
#ifdef V2
	long logins; /* new in 2 */
#endif
	UT_hash_handle hh;
};

struct group {
	int gid;
	UT_hash_handle hh;
	int members;
#ifdef V2
	int owner; /* new in 2 */
#endif
};

struct user *users;
struct group *groups;

static void init(void)
{
	for (int i = 0; i < 60; i++) {
		struct user *u = calloc(1, sizeof *u);
		u->id = 1000 + i;
		snprintf(u->name, sizeof u->name, "user%d", i);
		HASH_ADD_INT(users, id, u);
	}
	for (int i = 0; i < 60; i += 3) { /* every third user leaves */
		struct user *u;
		int id = 1000 + i;
		HASH_FIND_INT(users, &id, u);
		HASH_DEL(users, u);
		free(u);
	}
	for (int i = 0; i < 12; i++) {
		struct group *g = calloc(1, sizeof *g);
		g->gid = 7 * i;
		g->members = i;
		HASH_ADD_INT(groups, gid, g);
	}
}

int main(void)
{
	XT_PAIR_START(init);
#ifdef V2
	CHECK(users && users->hh.tbl->hho == offsetof(struct user, hh));
	CHECK(groups && groups->hh.tbl->hho == offsetof(struct group, hh));
	CHECK(HASH_COUNT(users) == 40 && HASH_COUNT(groups) == 12);
	for (int i = 0; i < 60; i++) {
		struct user *u;
		int id = 1000 + i;
		char want[16];
		HASH_FIND_INT(users, &id, u);
		snprintf(want, sizeof want, "user%d", i);
		if (i % 3 == 0)
			CHECK(!u);
		else
			CHECK(u && u->id == id && !strcmp(u->name, want) && !u->logins);
	}
	for (int i = 0; i < 12; i++) {
		struct group *g;
		int gid = 7 * i;
		HASH_FIND_INT(groups, &gid, g);
		CHECK(g && g->gid == gid && g->members == i && !g->owner);
	}
	/* the tables go on working: add, delete, iterate */
	struct user *n = calloc(1, sizeof *n), *u, *tmp;
	n->id = 5000;
	HASH_ADD_INT(users, id, n);
	int id = 1001;
	HASH_FIND_INT(users, &id, u);
	CHECK(u);
	if (u)
		HASH_DEL(users, u);
	id = 5000;
	HASH_FIND_INT(users, &id, u);
	CHECK(u == n);
	int count = 0;
	HASH_ITER(hh, users, u, tmp)
		count++;
	CHECK(count == 40 && HASH_COUNT(users) == 40);
	XT_V2_RESULT();
#endif
}
