/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Two tables of Debian's uthash (HASH_ADD_INT, HASH_FIND_INT, HASH_DEL):
 * the table keeps the offset of the handle in the element (hho) and goes
 * from a bucket's handle back to its element by subtracting it.  Version
 * 2 adds a member before the handle of struct user (its hho must follow)
 * and one after the handle of struct group (its hho stays).
 */
#include <uthash.h>
#include "xt.h"

struct user {
	int id;
	char name[16];
	UT_hash_handle hh;
};

struct group {
	int gid;
	UT_hash_handle hh;
	int members;
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
	init();
	XT_V1_LOOP();
}
