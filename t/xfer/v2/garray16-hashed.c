/* SPDX-License-Identifier: GPL-3.0-or-later */
#include <glib.h>
#include "xt.h"

struct rec {
	int id;
	long seen;    /* new in 2 */
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

int main(void)
{
	XT_V2_RECEIVE(init);
	GArray *one = g_hash_table_lookup(lists, "one");
	CHECK(one && one->len == 6 && g_array_index(one, struct rec, 1).id == 101);
	XT_V2_RESULT();
}
