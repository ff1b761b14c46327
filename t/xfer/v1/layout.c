/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Bitfields, 2-D arrays, flexible array members of structs, primitive
 * conversions. */
#include <stdint.h>
#include "xt.h"

struct flags {
	unsigned ready : 1;
	unsigned prio : 3;
	signed delta : 4;
	unsigned mode : 2;
	unsigned char tail;
};

struct sample {
	short t;
	unsigned char q;
};

struct series {
	int n;
	const char *unit;
	struct sample s[];
};

static struct flags fl[3];
static int grid[3][4];
static int *cell_2_3;
static int (*row_1)[4];
static int (*rows_end)[4];
static char outbuf[16];
static char *outbuf_end;
static struct series *series;
static struct sample *s_last;
static unsigned char *q_of_2;

static int i2l = -2000000000;
static unsigned u2ul = 4000000000u;
static float f2d = 0.1f;
static short s2i = -32768;
static signed char c2i = -100;
static unsigned short us2i = 65535;
static int i2d = 123456789;
static long long ll2d = 1LL << 52;
static uint8_t bytes[5] = { 1, 2, 254, 255, 0 };
static int i2u = 77;

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
	memset(outbuf, 'x', sizeof(outbuf));
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
	i2l += 0; u2ul += 0; f2d *= 1; s2i += 0; c2i += 0; us2i += 0; i2d += 0; ll2d += 0; i2u += 0;
	bytes[4] = 9;
}

int main(void)
{
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
