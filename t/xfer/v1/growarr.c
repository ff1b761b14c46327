/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A vector of structs grown with realloc, with pointers into its middle
 * and one past its end; a calloc'ed array; a malloc(n * sizeof *p)
 * array. */
#include "xt.h"

struct point {
	short x, y;
	char name[4];
};

struct vec {
	struct point *items;
	size_t len, cap;
};

struct slot {
	int used;
	double weight;
};

static struct vec v;
static struct point *fifth;
static short *seventh_y;
static struct point *end;
static char *name_9;
static struct slot *slots;
static double *w3;
static unsigned *ids;
static unsigned *ids_end;

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

static __attribute__((noinline)) double serve(void)
{
	double sum = 0;
	for (struct point *p = v.items; p < end; p++)
		sum += p->x + p->y + p->name[1];
	for (unsigned *u = ids; u < ids_end; u++)
		sum += *u;
	for (int i = 0; i < 5; i++)
		sum += slots[i].used + slots[i].weight;
	return sum + fifth->x + *seventh_y + *name_9 + *w3 + (double)v.cap + (double)v.len;
}

int main(void)
{
	if (!stf_is_updating())
		init();
	double want = stf_is_updating() ? 0 : serve();
	for (;;) {
		stf_update_point();
		if (want && serve() != want)
			abort();
		usleep(2000);
	}
}
