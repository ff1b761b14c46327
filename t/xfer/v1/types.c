/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Type changes between versions (see v2/types.c for the new types). */
#include "xt.h"

enum color { RED, GREEN, BLUE };
typedef unsigned int u32;

struct inner {
	short a;
	char tag;
};

struct rec {
	int id;
	long dropped;
	short small;
	struct inner in;
	enum color c;
	unsigned flags : 3;
	unsigned mode : 2;
	union {
		int as_int;
		float as_float;
	};
	struct {
		int x, y;
	};
	char name[8];
	int hist[4];
};

struct item {
	int key;
	struct item *next;
};

struct blob {
	int n;
	short vals[];
};

struct rec recs[3];
static int *p_id_of_1;
static short *p_small_2;
static struct rec *recs_end;
static struct inner *p_inner;
static char *p_name;
static struct item *items;
static struct item *last_item;
static struct blob *blob;
static short *p_blob_val;
static float ratio = 1.5f;
static int count = 3;
static u32 big = 4000000000u;
static enum color favourite = GREEN;
static unsigned char level = 200;
static struct inner *inners;
static short *p_inner_a;
static struct inner *inners_end;

static __attribute__((noinline)) void init(int drop)
{
	for (int i = 0; i < 3; i++) {
		recs[i].id = 100 + i;
		/* v2 drops the member: a value would be lost (see types-drop.xfer) */
		recs[i].dropped = drop ? -1 : 0;
		recs[i].small = (short)(-300 * i);
		recs[i].in.a = (short)(7 * i);
		recs[i].in.tag = (char)('a' + i);
		recs[i].c = (enum color)i;
		recs[i].flags = (unsigned)(i + 5);
		recs[i].mode = (unsigned)i;
		recs[i].as_int = 1000 + i;
		recs[i].x = i;
		recs[i].y = -i;
		snprintf(recs[i].name, sizeof(recs[i].name), "rec%d", i);
		for (int k = 0; k < 3; k++)
			recs[i].hist[k] = i * 10 + k;
	}
	p_id_of_1 = &recs[1].id;
	p_small_2 = &recs[2].small;
	recs_end = recs + 3;
	p_inner = &recs[0].in;
	p_name = &recs[1].name[2];
	for (int k = 0; k < 5; k++) {
		struct item *it = malloc(sizeof(*it));
		it->key = k * k;
		it->next = items;
		items = it;
	}
	last_item = items->next->next->next->next;
	blob = malloc(sizeof(*blob) + 4 * sizeof(short));
	blob->n = 4;
	for (int k = 0; k < 4; k++)
		blob->vals[k] = (short)(k - 2);
	p_blob_val = &blob->vals[3];
	ratio *= 1;
	count += 0;
	big += 0;
	favourite = BLUE;
	level++;
	inners = malloc(4 * sizeof(*inners));
	for (int k = 0; k < 4; k++) {
		inners[k].a = (short)(k * 11);
		inners[k].tag = (char)('w' + k);
	}
	p_inner_a = &inners[2].a;
	inners_end = inners + 4;
}

int main(int argc, char **argv)
{
	if (!stf_is_updating())
		init(argc > 1 && !strcmp(argv[1], "drop"));
	XT_V1_LOOP();
}
