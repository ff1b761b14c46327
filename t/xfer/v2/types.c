/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Type changes: members added, dropped, reordered and widened, a nested
 * struct grown, enumerators renumbered, bitfields widened, anonymous
 * members, arrays grown and shrunk, a flexible array member's element
 * type widened, a heap list and a heap array of changed structs (with
 * interior and one-past-the-end pointers into it), scalars converted
 * (int -> double, float -> double, unsigned -> long long, unsigned char ->
 * short), interior and one-past-the-end pointers into changed types. */
#include "xt.h"

enum color { BLACK, RED, GREEN, BLUE };
typedef unsigned int u32;

struct inner {
	int before; /* new */
	short a;
	char tag;
};

struct rec {
	char name[16];       /* grown, moved first */
	long small;          /* widened */
	int id;
	struct inner in;
	enum color c;
	unsigned mode : 2;
	unsigned flags : 5;  /* widened */
	struct {
		long y, x;   /* reordered, widened */
	};
	union {
		int as_int;
		float as_float;
	};
	int hist[3];         /* shrunk: the 4th element was always 0 */
	int added;           /* new */
};

struct item {
	struct item *next;
	long key;
	int hits;
};

struct blob {
	long n;
	int vals[];
};

struct rec recs[3];
static int *p_id_of_1;
static long *p_small_2;
static struct rec *recs_end;
static struct inner *p_inner;
static char *p_name;
static struct item *items;
static struct item *last_item;
static struct blob *blob;
static int *p_blob_val;
static double ratio = 1.5;
static double count = 3;
static long long big = 4000000000u;
static enum color favourite = GREEN;
static short level = 200;
static struct inner *inners;
static short *p_inner_a;
static struct inner *inners_end;

static __attribute__((noinline)) void init(void)
{
	for (int i = 0; i < 3; i++) {
		recs[i].id = 100 + i;
		recs[i].small = -300 * i;
		recs[i].in.a = (short)(7 * i);
		recs[i].in.tag = (char)('a' + i);
		recs[i].c = (enum color)(i + 1);
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
	blob = malloc(sizeof(*blob) + 4 * sizeof(int));
	blob->n = 4;
	for (int k = 0; k < 4; k++)
		blob->vals[k] = k - 2;
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

int main(void)
{
	if (stf_is_updating())
		memset(recs, 0x55, sizeof(recs)); /* the transfer must overwrite
		                                     what it transfers; the rest
		                                     keeps what the startup set */
	XT_V2_RECEIVE(init);
	for (int i = 0; i < 3; i++) {
		char want[16];
		CHECK(recs[i].id == 100 + i);
		CHECK(recs[i].small == -300 * i);
		CHECK(recs[i].in.before == 0x55555555); /* new: the startup's */
		CHECK(recs[i].in.a == 7 * i);
		CHECK(recs[i].in.tag == 'a' + i);
		CHECK(recs[i].c == (enum color)(i + 1)); /* RED, GREEN, BLUE by name */
		CHECK(recs[i].flags == (unsigned)(i + 5));
		CHECK(recs[i].mode == (unsigned)i);
		CHECK(recs[i].as_int == 1000 + i);
		CHECK(recs[i].x == i && recs[i].y == -i);
		snprintf(want, sizeof(want), "rec%d", i);
		CHECK(!memcmp(recs[i].name, want, strlen(want) + 1));
		for (int k = 8; k < 16; k++) /* grown part: the startup's bytes */
			CHECK(recs[i].name[k] == 0x55);
		for (int k = 0; k < 3; k++)
			CHECK(recs[i].hist[k] == i * 10 + k);
		CHECK(recs[i].added == 0x55555555);
	}
	CHECK(p_id_of_1 == &recs[1].id);
	CHECK(p_small_2 == &recs[2].small);
	CHECK(recs_end == recs + 3);
	CHECK(p_inner == &recs[0].in);
	CHECK(p_name == &recs[1].name[2]);
	int n = 0;
	for (struct item *it = items; it; it = it->next, n++) {
		CHECK(it->key == (4 - n) * (4 - n));
		CHECK(it->hits == 0);
	}
	CHECK(n == 5);
	CHECK(last_item && last_item->key == 0 && !last_item->next);
	CHECK(blob && blob->n == 4);
	for (int k = 0; blob && k < 4; k++)
		CHECK(blob->vals[k] == k - 2);
	CHECK(p_blob_val == &blob->vals[3]);
	CHECK(ratio == 1.5);
	CHECK(count == 3.0);
	CHECK(big == 4000000000LL);
	CHECK(favourite == BLUE);
	CHECK(level == 201);
	for (int k = 0; inners && k < 4; k++)
		CHECK(inners[k].before == 0 && inners[k].a == k * 11 && inners[k].tag == 'w' + k);
	CHECK(p_inner_a == &inners[2].a);
	CHECK(inners_end == inners + 4);
	XT_V2_RESULT();
}
