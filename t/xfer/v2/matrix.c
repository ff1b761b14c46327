/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of matrix.c: rows widen to 6 cells, cells widen and reorder,
 * row elements widen to long. */
#include "xt.h"

#define W 6

struct cell {
	char mark;
	unsigned char color;
	int val;
};

struct tag {
	int n;
	long extra;
	char label[12];
};

static struct tag *tags;
static char *label_p;
static struct cell (*board)[W];
static long **rows;
static struct cell *cursor;
static char *mark_of;
static long *row_tail;

static __attribute__((noinline)) void init(void)
{
	board = malloc(3 * sizeof(*board));
	for (int r = 0; r < 3; r++)
		for (int c = 0; c < 4; c++) {
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
	XT_V2_RECEIVE(init);
	struct stf_object_info info;
	CHECK(stf_lookup(board, &info) == 0 && info.count == 3);
	for (int r = 0; r < 3; r++)
		for (int c = 0; c < W; c++) {
			CHECK(board[r][c].val == (c < 4 ? r * 10 + c : 0));
			CHECK(board[r][c].mark == (c < 4 ? 'a' + c : 0));
			CHECK(board[r][c].color == 0);
		}
	for (int r = 0; r < 3; r++) {
		CHECK(stf_lookup(rows[r], &info) == 0 && info.count == (size_t)r + 1);
		for (int c = 0; c <= r; c++)
			CHECK(rows[r][c] == r * 100 + c);
	}
	CHECK(cursor == &board[2][1]);
	CHECK(mark_of == &board[1][3].mark);
	CHECK(row_tail == rows[2] + 3);
	CHECK(tags[1].n == 2 && !strcmp(tags[1].label, "second"));
	/* a char pointer to a char array first in its struct: the array */
	CHECK(label_p == tags[1].label);
	XT_V2_RESULT();
}
