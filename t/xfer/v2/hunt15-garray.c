/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A GLib GArray of program structs (g_array_new with the struct's size,
 * g_array_append_val, read back with g_array_index): the elements live
 * in GLib's block, GLib keeps their size.  Version 2 grows the struct:
 * its g_array_index steps by the new size, so the elements must be
 * converted (or the update refused), never read with the wrong stride.
 */
#include <glib.h>
#include "xt.h"

struct rec {
	int id;
	long hits;    /* new in 2 */
	char tag[12];
};

static GArray *recs;

static void init(void)
{
	recs = g_array_new(FALSE, TRUE, sizeof(struct rec));
	for (int i = 0; i < 30; i++) {
		struct rec r = { .id = 500 + i };
		snprintf(r.tag, sizeof r.tag, "rec%d", i);
		g_array_append_val(recs, r);
	}
}

int main(void)
{
	XT_V2_RECEIVE(init);
	CHECK(recs && recs->len == 30);
	for (guint i = 0; recs && i < recs->len; i++) {
		struct rec *r = &g_array_index(recs, struct rec, i);
		char want[12];
		snprintf(want, sizeof want, "rec%u", i);
		CHECK(r->id == 500 + (int)i && r->hits == 0 && !strcmp(r->tag, want));
	}
	struct rec more = { .id = 999, .hits = 1 };
	g_array_append_val(recs, more);
	CHECK(g_array_index(recs, struct rec, 30).id == 999);
	XT_V2_RESULT();
}
