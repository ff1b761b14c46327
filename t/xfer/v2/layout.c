/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2: bitfields widened and reordered, the grid grown in both
 * dimensions and its element widened, the flexible array's elements
 * reshaped, every scalar widened or converted to floating point. */
#include <stdint.h>
#include "xt.h"

struct flags {
	unsigned char tail;
	unsigned mode : 4;
	signed delta : 9;
	unsigned prio : 7;
	unsigned ready : 1;
	unsigned spare : 5;
};

struct sample {
	unsigned int q;
	char kind;
	long t;
};

struct series {
	const char *unit;
	long n;
	struct sample s[];
};

static struct flags fl[3];
static long grid[5][6];
static long *cell_2_3;
static long (*row_1)[6];
static long (*rows_end)[6];
static char outbuf[24];
static char *outbuf_end;
static struct series *series;
static struct sample *s_last;
static unsigned int *q_of_2;

static long i2l = -2000000000;
static unsigned long u2ul = 4000000000u;
static double f2d = 0.1f;
static int s2i = -32768;
static int c2i = -100;
static int us2i = 65535;
static double i2d = 123456789;
static double ll2d = 1LL << 52;
static uint16_t bytes[6] = { 1, 2, 254, 255, 0 };
static unsigned long i2u = 77;

static __attribute__((noinline)) void init(void)
{
	for (int i = 0; i < 3; i++) {
		fl[i].ready = i & 1;
		fl[i].prio = (unsigned)(i * 3);
		fl[i].delta = -3 * i + 2;
		fl[i].mode = (unsigned)(3 - i);
		fl[i].tail = (unsigned char)(0xf0 + i);
	}
	for (int r = 0; r < 3; r++)
		for (int c = 0; c < 4; c++)
			grid[r][c] = r * 10 + c;
	cell_2_3 = &grid[2][3];
	row_1 = &grid[1];
	rows_end = grid + 3;
	outbuf_end = outbuf + sizeof(outbuf);
	series = malloc(sizeof(*series) + 5 * sizeof(struct sample));
	series->n = 5;
	series->unit = "ms";
	for (int i = 0; i < 5; i++) {
		series->s[i].t = (short)(i * 100 - 200);
		series->s[i].q = (unsigned char)(i * 50);
	}
	s_last = &series->s[4];
	q_of_2 = &series->s[2].q;
	bytes[4] = 9;
}

int main(void)
{
	XT_V2_RECEIVE(init);
	for (int i = 0; i < 3; i++) {
		CHECK(fl[i].ready == (unsigned)(i & 1));
		CHECK(fl[i].prio == (unsigned)(i * 3));
		CHECK(fl[i].delta == -3 * i + 2);
		CHECK(fl[i].mode == (unsigned)(3 - i));
		CHECK(fl[i].tail == 0xf0 + i);
		CHECK(fl[i].spare == 0);
	}
	for (int r = 0; r < 5; r++)
		for (int c = 0; c < 6; c++)
			CHECK(grid[r][c] == (r < 3 && c < 4 ? r * 10 + c : 0));
	CHECK(cell_2_3 == &grid[2][3] && *cell_2_3 == 23);
	CHECK(row_1 == &grid[1] && (*row_1)[2] == 12);
	/* one past the last row of version 1: the same row index */
	CHECK(rows_end == grid + 3);
	/* one past the end of a char buffer that grew: the same index */
	CHECK(outbuf_end == outbuf + 16 && outbuf[15] == 'x' && !outbuf[16]);
	CHECK(series && series->n == 5 && !strcmp(series->unit, "ms"));
	struct stf_object_info info;
	CHECK(stf_lookup(series, &info) == 0 &&
	      info.size >= sizeof(*series) + 5 * sizeof(struct sample));
	for (int i = 0; series && i < 5; i++) {
		CHECK(series->s[i].t == i * 100 - 200);
		CHECK(series->s[i].q == (unsigned)(i * 50));
		CHECK(series->s[i].kind == 0);
	}
	CHECK(s_last == &series->s[4]);
	CHECK(q_of_2 == &series->s[2].q && *q_of_2 == 100);
	CHECK(i2l == -2000000000L);
	CHECK(u2ul == 4000000000ul);
	CHECK(f2d == (double)0.1f);
	CHECK(s2i == -32768 && c2i == -100 && us2i == 65535);
	CHECK(i2d == 123456789.0 && ll2d == 4503599627370496.0);
	CHECK(bytes[0] == 1 && bytes[2] == 254 && bytes[3] == 255 && bytes[4] == 9 && bytes[5] == 0);
	CHECK(i2u == 77);
	XT_V2_RESULT();
}
