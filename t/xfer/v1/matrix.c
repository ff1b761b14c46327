/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Heap matrices: a block of rows (pointer to array), an array of row
 * pointers, a cursor into a cell's member. */
#include "xt.h"

#define W 4

struct cell {
	short val;
	char mark;
};

struct tag {
	char label[8];
	int n;
};

static struct tag *tags;
static char *label_p;
static struct cell (*board)[W];
static int **rows;
static struct cell *cursor;
static char *mark_of;
static int *row_tail;

static __attribute__((noinline)) void init(void)
{
	board = malloc(3 * sizeof(*board));
	for (int r = 0; r < 3; r++)
		for (int c = 0; c < W; c++) {
			board[r][c].val = (short)(r * 10 + c);
			board[r][c].mark = (char)('a' + c);
		}
	rows = malloc(3 * sizeof(*rows));
	for (int r = 0; r < 3; r++) {
		rows[r] = malloc((size_t)(r + 1) * sizeof(**rows));
		for (int c = 0; c <= r; c++)
			rows[r][c] = r * 100 + c;
	}
	cursor = &board[2][1];
	mark_of = &board[1][3].mark;
	row_tail = rows[2] + 3;
	tags = calloc(2, sizeof(*tags));
	strcpy(tags[1].label, "second");
	tags[1].n = 2;
	label_p = tags[1].label;
}

int main(void)
{
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
