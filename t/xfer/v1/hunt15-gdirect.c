/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A GLib GHashTable used as a set of connections keyed by their address
 * (g_direct_hash, g_direct_equal): GLib keeps each key's hash beside it.
 * Version 2 is the same program: wherever the connections end up,
 * g_hash_table_contains and g_hash_table_remove must find each of them.
 */
#include <glib.h>
#include "xt.h"

struct conn {
	int fd;
	char name[12];
};

#define NCONNS 20

static GHashTable *live;
static struct conn *all[NCONNS];

static void init(void)
{
	live = g_hash_table_new(g_direct_hash, g_direct_equal);
	for (int i = 0; i < NCONNS; i++) {
		all[i] = g_new0(struct conn, 1);
		all[i]->fd = 100 + i;
		snprintf(all[i]->name, sizeof all[i]->name, "conn%d", i);
		g_hash_table_add(live, all[i]);
	}
}

int main(void)
{
	init();
	XT_V1_LOOP();
}
