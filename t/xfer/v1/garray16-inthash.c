/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A GHashTable keyed by g_int_hash / g_int_equal whose keys point to
 * the id member inside the program's structs (the values): version 2
 * (this file with V2 defined) adds a member before id, which moves in
 * the struct.
 */
#include <glib.h>
#include "xt.h"

struct user {
	char name[12];
#ifdef V2
	long last;    /* new in 2 */
#endif
	int id;
};

static GHashTable *by_id;

static void init(void)
{
	by_id = g_hash_table_new(g_int_hash, g_int_equal);
	for (int i = 0; i < 9; i++) {
		struct user *u = malloc(sizeof(*u));
		u->id = 300 + 7 * i;
		snprintf(u->name, sizeof(u->name), "user%d", i);
		g_hash_table_insert(by_id, &u->id, u);
	}
}

#ifdef V2
int main(void)
{
	XT_V2_RECEIVE(init);
	CHECK(by_id && g_hash_table_size(by_id) == 9);
	for (int i = 0; by_id && i < 9; i++) {
		int id = 300 + 7 * i;
		struct user *u = g_hash_table_lookup(by_id, &id);
		char want[12];
		snprintf(want, sizeof(want), "user%d", i);
		CHECK(u && u->id == id && u->last == 0 && !strcmp(u->name, want));
	}
	GHashTableIter it;
	gpointer k, v;
	int n = 0;
	g_hash_table_iter_init(&it, by_id);
	while (g_hash_table_iter_next(&it, &k, &v)) {
		CHECK(k == &((struct user *)v)->id);
		n++;
	}
	CHECK(n == 9);
	struct user *u = calloc(1, sizeof(*u));
	u->id = 5;
	g_hash_table_insert(by_id, &u->id, u);
	int five = 5;
	CHECK(g_hash_table_lookup(by_id, &five) == u && g_hash_table_size(by_id) == 10);
	XT_V2_RESULT();
}
#else
int main(void)
{
	init();
	if (g_hash_table_size(by_id) != 9)
		return 1;
	XT_V1_LOOP();
}
#endif
