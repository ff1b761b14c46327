/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2: points widen and gain a member, slots reorder and gain a
 * member, ids widen to unsigned long. */
#include "xt.h"

struct point {
	int flags;
	long y;
	char name[8];
	long x;
};

struct vec {
	size_t cap, len;
	struct point *items;
};

struct slot {
	double weight;
	char label[3];
	long used;
};

static struct vec v;
static struct point *fifth;
static long *seventh_y;
static struct point *end;
static char *name_9;
static struct slot *slots;
static double *w3;
static unsigned long *ids;
static unsigned long *ids_end;

static __attribute__((noinline)) void vec_push(short x, short y)
{
	if (v.len == v.cap) {
		v.cap = v.cap ? v.cap * 2 : 2;
		v.items = realloc(v.items, v.cap * sizeof(*v.items));
	}
	struct point *p = &v.items[v.len++];
	p->x = x;
	p->y = y;
	snprintf(p->name, sizeof(p->name), "p%d", (int)(v.len - 1));
}

static __attribute__((noinline)) void init(void)
{
	for (int i = 0; i < 13; i++)
		vec_push((short)i, (short)(-3 * i));
	fifth = &v.items[5];
	seventh_y = &v.items[7].y;
	end = v.items + v.len;
	name_9 = v.items[9].name + 1;
	slots = calloc(5, sizeof(struct slot));
	for (int i = 0; i < 5; i++) {
		slots[i].used = i & 1;
		slots[i].weight = i * 0.5;
	}
	w3 = &slots[3].weight;
	ids = malloc(6 * sizeof *ids);
	for (int i = 0; i < 6; i++)
		ids[i] = 4000000000u - (unsigned)i;
	ids_end = ids + 6;
}

int main(void)
{
	XT_V2_RECEIVE(init);
	CHECK(v.len == 13 && v.cap == 16);
	struct stf_object_info info;
	CHECK(stf_lookup(v.items, &info) == 0 && info.count == 16 &&
	      info.size >= 16 * sizeof(struct point));
	for (int i = 0; i < 13; i++) {
		char want[8];
		snprintf(want, sizeof(want), "p%d", i);
		CHECK(v.items[i].x == i && v.items[i].y == -3 * i && v.items[i].flags == 0);
		CHECK(!strcmp(v.items[i].name, want));
	}
	CHECK(fifth == &v.items[5]);
	CHECK(seventh_y == &v.items[7].y && *seventh_y == -21);
	CHECK(end == v.items + 13);
	CHECK(name_9 == v.items[9].name + 1 && !strcmp(name_9, "9"));
	CHECK(stf_lookup(slots, &info) == 0 && info.count == 5);
	for (int i = 0; i < 5; i++)
		CHECK(slots[i].used == (i & 1) && slots[i].weight == i * 0.5 &&
		      !slots[i].label[0]);
	CHECK(w3 == &slots[3].weight);
	CHECK(stf_lookup(ids, &info) == 0 && info.count == 6);
	for (int i = 0; i < 6; i++)
		CHECK(ids[i] == 4000000000ul - (unsigned long)i);
	CHECK(ids_end == ids + 6);
	XT_V2_RESULT();
}
