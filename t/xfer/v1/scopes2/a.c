/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Scopes: static locals of the same name in two blocks of one function
 * and in an inline function of a header used by two files, heap and
 * static pointers into the update-point function's local array. */
#include "common.h"

static int *blk1, *blk2;
int *ticket_a;
static long *to_local;
static struct box {
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
		/* counted before the loop: the update may come at its first
		 * update point */
		while (tick < 3)
			tick++;
	}
	for (;;) {
		stf_update_point();
		if (hist[0] == -1 || tick != 3)
			abort();
		usleep(2000);
	}
}
