/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A GSequence of pointers to program structs, kept sorted by a compare
 * function: GLib's nodes (its slices) point to the structs, which grow
 * in version 2.
 */
#include <glib.h>
#include "xt.h"

struct score {
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

int main(void)
{
	init();
	if (g_sequence_get_length(board) != 7)
		return 1;
	XT_V1_LOOP();
}
