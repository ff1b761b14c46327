/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A GHashTable keyed by g_int_hash / g_int_equal whose keys point to
 * the id member inside the program's structs (the values): version 2
 * adds a member before id, which moves in the struct.
 */
#include <glib.h>
#include "xt.h"

struct user {
	char name[12];
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

int main(void)
{
	init();
	if (g_hash_table_size(by_id) != 9)
		return 1;
	XT_V1_LOOP();
}
