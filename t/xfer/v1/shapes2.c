/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Shapes: arrays whose dimensions grow (one and two dimensions) with
 * pointers into them, an anonymous struct behind a typedef, a flexible
 * array member of changed structs, __int128, _Complex, _Atomic, wide
 * bitfields, long double in a changed heap struct. */
#include <stdatomic.h>
#include "xt.h"

typedef struct {
	int a;
	char *s;
} item_t;

struct pt {
	short x, y;
};

struct poly {
	int n;
	struct pt pts[];
};

struct wide {
	unsigned long long lo : 40;
	unsigned long long hi : 24;
	long long neg : 33;
};

struct meas {
	char unit;
	long double v;
};

static int arr[4] = { 1, 2, 3, 4 };
static int *arr3 = &arr[3];
static int grid[3][4];
static int *g12;
static int (*row2)[4];
static item_t *items;
static item_t *item2;
static struct poly *poly;
static struct pt *pt3;
static __int128 big;
static unsigned __int128 ubig[2];
static double _Complex z = 1.5 + 2.5 * 1.0i;
static _Atomic int atom = 17;
static atomic_long atoms[2];
static struct wide wides[2];
static struct meas *meas;

static __attribute__((noinline)) void init(void)
{
	for (int i = 0; i < 3; i++)
		for (int j = 0; j < 4; j++)
			grid[i][j] = 10 * i + j;
	g12 = &grid[1][2];
	row2 = &grid[2];
	items = malloc(3 * sizeof(*items));
	for (int i = 0; i < 3; i++) {
		items[i].a = i + 40;
		items[i].s = strdup(i ? "one" : "zero");
	}
	item2 = &items[2];
	poly = malloc(sizeof(*poly) + 5 * sizeof(struct pt));
	poly->n = 5;
	for (int i = 0; i < 5; i++) {
		poly->pts[i].x = (short)i;
		poly->pts[i].y = (short)(-i);
	}
	pt3 = &poly->pts[3];
	big = -((__int128)1 << 100) + 12345;
	ubig[1] = ((unsigned __int128)3 << 64) | 7;
	atoms[1] = -123456789012L;
	wides[0].lo = 0xfedcba9876ull;
	wides[0].hi = 0xabcdefull;
	wides[0].neg = -4000000000ll;
	wides[1].neg = 4000000000ll;
	meas = malloc(2 * sizeof(*meas));
	meas[0].unit = 'm';
	meas[0].v = 1.0L / 7.0L;
	meas[1].unit = 's';
	meas[1].v = -1e4000L;
}

int main(void)
{
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
