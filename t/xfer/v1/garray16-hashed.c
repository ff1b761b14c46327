/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * GArrays of a program struct kept only as the values of a GHashTable
 * (gpointer): no typed GArray * reaches them, so the code's
 * g_array_index cannot say which arrays hold the struct.  Version 2
 * (this file with V2 defined) grows the struct: the update must roll back naming the array, never
 * keep the elements with GLib's old element size.
 */
#include <glib.h>
#include "xt.h"

struct rec {
	int id;
#ifdef V2
	long seen;    /* new in 2 */
#endif
	char tag[12];
};

static GHashTable *lists;

static void init(void)
{
	lists = g_hash_table_new(g_str_hash, g_str_equal);
	for (int k = 0; k < 3; k++) {
		GArray *a = g_array_new(FALSE, TRUE, sizeof(struct rec));
		for (int i = 0; i < 5 + k; i++) {
			struct rec r = { .id = 100 * k + i };
			snprintf(r.tag, sizeof(r.tag), "r%d.%d", k, i);
			g_array_append_val(a, r);
		}
		g_hash_table_insert(lists, k == 0 ? "zero" : k == 1 ? "one" : "two", a);
	}
}

#ifdef V2
int main(void)
{
	XT_V2_RECEIVE(init);
	GArray *one = g_hash_table_lookup(lists, "one");
	CHECK(one && one->len == 6 && g_array_index(one, struct rec, 1).id == 101);
	XT_V2_RESULT();
}
#else
int main(void)
{
	init();
	GArray *one = g_hash_table_lookup(lists, "one");
	if (!one || g_array_index(one, struct rec, 1).id != 101)
		return 1;
	XT_V1_LOOP();
}
#endif
