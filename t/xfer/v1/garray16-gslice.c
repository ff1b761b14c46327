/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Program structs allocated with g_slice_new0 (GLib 2.74's slice
 * allocator: the structs live inside GLib's slab pages) and linked to
 * each other; version 2 grows the struct.
 */
#include <glib.h>
#include "xt.h"

struct sess {
	int id;
	struct sess *next;
	char user[8];
};

static struct sess *sessions;

static void init(void)
{
	for (int i = 0; i < 5; i++) {
		struct sess *s = g_slice_new0(struct sess);
		s->id = 70 + i;
		snprintf(s->user, sizeof(s->user), "u%d", i);
		s->next = sessions;
		sessions = s;
	}
}

int main(void)
{
	init();
	if (!sessions)
		return 1;
	XT_V1_LOOP();
}
