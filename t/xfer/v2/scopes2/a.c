/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of scopes2: struct box gains a member, the local array is
 * checked against the pointers into it. */
#include "common.h"

static int *blk1, *blk2;
int *ticket_a;
static long *to_local;
static struct box {
	long extra;
	int n;
	long *cursor;
} *box;

static __attribute__((noinline)) void blocks(void)
{
	{
		static int n = 100;
		n++;
		blk1 = &n;
	}
	{
		static int n = 200;
		n += 2;
		blk2 = &n;
	}
}

int part_a(void)
{
	int t = next_ticket();
	return t;
}

int main(void)
{
	long hist[6] = { 0 };
	unsigned tick = 0;

	if (!stf_is_updating()) {
		blocks();
		blocks();
		part_a();
		part_a();
		part_b();
		for (int i = 0; i < 6; i++)
			hist[i] = 1000 + i;
		to_local = &hist[4];
		box = malloc(sizeof(*box));
		box->n = 6;
		box->cursor = &hist[2];
		XT_V1_LOOP();
	}
	stf_update_point();
	CHECK(tick == 3);
	for (int i = 0; i < 6; i++)
		CHECK(hist[i] == 1000 + i);
	CHECK(to_local == &hist[4]);
	CHECK(box->n == 6 && box->extra == 0 && box->cursor == &hist[2]);
	CHECK(blk1 && blk2 && blk1 != blk2 && *blk1 == 102 && *blk2 == 204);
	blocks();
	CHECK(*blk1 == 103 && *blk2 == 206);
	/* a.c's ticket counted 2, b.c's 2 */
	CHECK(part_a() == 3);
	CHECK(part_b() == 3 + 10 * 4);
	XT_V2_RESULT();
}
