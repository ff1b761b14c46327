/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of shapes2.c: arr grows to 6, grid to [4][5], item_t and
 * struct pt gain members, struct wide and struct meas reorder. */
#include <stdatomic.h>
#include "xt.h"

typedef struct {
	long id;
	int a;
	char *s;
} item_t;

struct pt {
	int z;
	short x, y;
};

struct poly {
	int n;
	struct pt pts[];
};

struct wide {
	long long neg : 33;
	unsigned long long hi : 24;
	unsigned long long lo : 40;
};

struct meas {
	long double v;
	int count;
	char unit;
};

static int arr[6] = { 1, 2, 3, 4 };
static int *arr3 = &arr[3];
static int grid[4][5];
static int *g12;
static int (*row2)[5];
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
	XT_V2_RECEIVE(init);
	CHECK(arr[0] == 1 && arr[3] == 4 && arr[4] == 0 && arr[5] == 0);
	CHECK(arr3 == &arr[3]);
	for (int i = 0; i < 4; i++)
		for (int j = 0; j < 5; j++)
			CHECK(grid[i][j] == (i < 3 && j < 4 ? 10 * i + j : 0));
	CHECK(g12 == &grid[1][2] && *g12 == 12);
	CHECK(row2 == &grid[2] && (*row2)[1] == 21);
	struct stf_object_info info;
	CHECK(stf_lookup(items, &info) == 0 && info.count == 3);
	for (int i = 0; i < 3; i++)
		CHECK(items[i].id == 0 && items[i].a == i + 40 &&
		      !strcmp(items[i].s, i ? "one" : "zero"));
	CHECK(item2 == &items[2]);
	CHECK(poly->n == 5);
	CHECK(stf_lookup(poly, &info) == 0 &&
	      info.size >= sizeof(*poly) + 5 * sizeof(struct pt));
	for (int i = 0; i < 5; i++)
		CHECK(poly->pts[i].x == i && poly->pts[i].y == -i && poly->pts[i].z == 0);
	CHECK(pt3 == &poly->pts[3]);
	CHECK(big == -((__int128)1 << 100) + 12345);
	CHECK(ubig[0] == 0 && ubig[1] == (((unsigned __int128)3 << 64) | 7));
	CHECK(z == 1.5 + 2.5 * 1.0i);
	CHECK(atom == 17 && atoms[0] == 0 && atoms[1] == -123456789012L);
	CHECK(wides[0].lo == 0xfedcba9876ull && wides[0].hi == 0xabcdefull &&
	      wides[0].neg == -4000000000ll);
	CHECK(wides[1].lo == 0 && wides[1].hi == 0 && wides[1].neg == 4000000000ll);
	CHECK(meas[0].unit == 'm' && meas[0].v == 1.0L / 7.0L && meas[0].count == 0);
	CHECK(meas[1].unit == 's' && meas[1].v == -1e4000L);
	XT_V2_RESULT();
}
