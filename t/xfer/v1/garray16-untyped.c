/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A GArray of a program struct whose elements no code reads as that
 * struct, in either version (appended, copied out with memcpy): its
 * element type cannot be determined, and the struct grows in version 2.
 * The update must roll back naming the array, never keep GLib's old
 * element size under the new struct.
 */
#include <glib.h>
#include "xt.h"

struct item {
	int id;
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
	init();
	XT_V1_LOOP();
}
