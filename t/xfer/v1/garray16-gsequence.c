/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A GSequence of pointers to program structs, kept sorted by a compare
 * function: GLib's nodes (its slices) point to the structs, which grow
 * in version 2 (this file with V2 defined).
 */
#include <glib.h>
#include "xt.h"

struct score {
#ifdef V2
	long when;    /* new in 2 */
#endif
	int points;
	char who[12];
};

static GSequence *board;

static gint by_points(gconstpointer a, gconstpointer b, gpointer unused)
{
	(void)unused;
	return ((const struct score *)a)->points - ((const struct score *)b)->points;
}

static void init(void)
{
	board = g_sequence_new(free);
	for (int i = 0; i < 7; i++) {
		struct score *s = malloc(sizeof(*s));
		s->points = (i * 37) % 11;
		snprintf(s->who, sizeof(s->who), "p%d", i);
		g_sequence_insert_sorted(board, s, by_points, NULL);
	}
}

#ifdef V2
int main(void)
{
	XT_V2_RECEIVE(init);
	CHECK(board && g_sequence_get_length(board) == 7);
	int prev = -1, n = 0, seen = 0;
	for (GSequenceIter *it = board ? g_sequence_get_begin_iter(board) : NULL;
	     it && !g_sequence_iter_is_end(it); it = g_sequence_iter_next(it), n++) {
		struct score *s = g_sequence_get(it);
		CHECK(s->when == 0 && s->points >= prev && s->who[0] == 'p');
		CHECK((s->who[1] - '0') * 37 % 11 == s->points);
		seen |= 1 << (s->who[1] - '0');
		prev = s->points;
	}
	CHECK(n == 7 && seen == 0x7f);
	struct score *more = calloc(1, sizeof(*more));
	more->points = 5;
	strcpy(more->who, "new");
	g_sequence_insert_sorted(board, more, by_points, NULL);
	CHECK(g_sequence_get_length(board) == 8);
	XT_V2_RESULT();
}
#else
int main(void)
{
	init();
	if (g_sequence_get_length(board) != 7)
		return 1;
	XT_V1_LOOP();
}
#endif
