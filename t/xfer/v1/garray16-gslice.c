/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Program structs allocated with g_slice_new0 (GLib 2.74's slice
 * allocator: the structs live inside GLib's slab pages) and linked to
 * each other; version 2 (this file with V2 defined) grows the struct.
 */
#include <glib.h>
#include "xt.h"

struct sess {
	int id;
#ifdef V2
	long bytes;   /* new in 2 */
#endif
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

#ifdef V2
int main(void)
{
	XT_V2_RECEIVE(init);
	int n = 0;
	for (struct sess *s = sessions; s; s = s->next, n++) {
		char want[8];
		snprintf(want, sizeof(want), "u%d", 4 - n);
		CHECK(s->id == 74 - n && s->bytes == 0 && !strcmp(s->user, want));
	}
	CHECK(n == 5);
	struct sess *s = g_slice_new0(struct sess);
	s->id = 99;
	s->next = sessions;
	sessions = s;
	CHECK(sessions->next->id == 74);
	g_slice_free(struct sess, sessions->next->next);
	XT_V2_RESULT();
}
#else
int main(void)
{
	init();
	if (!sessions)
		return 1;
	XT_V1_LOOP();
}
#endif
