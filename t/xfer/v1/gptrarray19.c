/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A GPtrArray of the program's records: GLib keeps the array's pdata, an
 * array of gpointer, in a block of its own (untyped), and its length in
 * its private header; the records are the program's (calloc).  Version 2
 * grows the record before its name: every record moves or grows, and
 * each pointer of pdata must follow it; the array keeps its length and
 * takes one more record after the update.
 */
#include <glib.h>
#include "xt.h"

struct rec {
	int id;
#ifdef V2
	long seen;    /* new in 2, before the name */
#endif
	char name[12];
};

static GPtrArray *recs;

static void init(void)
{
	recs = g_ptr_array_new();
	for (int i = 0; i < 5; i++) {
		struct rec *r = calloc(1, sizeof(*r));
		r->id = 100 + i;
		snprintf(r->name, sizeof(r->name), "rec%d", i);
		g_ptr_array_add(recs, r);
	}
}

#ifdef V2
int main(void)
{
	XT_V2_RECEIVE(init);
	CHECK(recs && recs->len == 5);
	for (guint i = 0; recs && i < recs->len; i++) {
		struct rec *r = g_ptr_array_index(recs, i);
		char want[12];
		snprintf(want, sizeof(want), "rec%u", i);
		CHECK(r && r->id == 100 + (int)i && r->seen == 0 && !strcmp(r->name, want));
	}
	struct rec *more = calloc(1, sizeof(*more));
	more->id = 105;
	if (recs)
		g_ptr_array_add(recs, more);
	CHECK(recs && recs->len == 6 && g_ptr_array_index(recs, 5) == more);
	XT_V2_RESULT();
}
#else
int main(void)
{
	init();
	XT_V1_LOOP();
}
#endif
