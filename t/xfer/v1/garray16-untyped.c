/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A GArray of a program struct whose elements no code reads as that
 * struct, in either version (appended, copied out with memcpy): its
 * element type cannot be determined, and the struct grows in version 2
 * (this file with V2 defined).
 * The update must roll back naming the array, never keep GLib's old
 * element size under the new struct.
 */
#include <glib.h>
#include "xt.h"

struct item {
	int id;
#ifdef V2
	long weight; /* new in 2 */
#endif
	char tag[12];
};

static GArray *items;

static void init(void)
{
	items = g_array_new(FALSE, TRUE, sizeof(struct item));
	for (int i = 0; i < 8; i++) {
		struct item it = { .id = 40 + i };
		snprintf(it.tag, sizeof(it.tag), "item%d", i);
		g_array_append_val(items, it);
	}
}

int main(void)
{
	XT_PAIR_START(init);
#ifdef V2
	CHECK(items && items->len == 8 && g_array_get_element_size(items) == sizeof(struct item));
	for (guint i = 0; items && i < items->len; i++) {
		struct item it;
		char want[12];
		memcpy(&it, items->data + (gsize)i * g_array_get_element_size(items), sizeof(it));
		snprintf(want, sizeof(want), "item%u", i);
		CHECK(it.id == 40 + (int)i && it.weight == 0 && !strcmp(it.tag, want));
	}
	XT_V2_RESULT();
#endif
}
