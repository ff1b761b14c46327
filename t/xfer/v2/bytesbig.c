/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Version 2 of bytesbig.c.
 */
#include "xt.h"

#define BIG 100000

static long table[4] = { 1, 2, 3, 4 };
static char *text, *recs;

static __attribute__((noinline)) void init(void)
{
	text = malloc(BIG);
	for (int i = 0; i < BIG; i++)
		text[i] = 'a' + i % 26;
	recs = malloc(BIG);
	memset(recs, '-', BIG);
	void *value = &table[2];
	memcpy(recs + 99000, &value, sizeof(value));
}

int main(void)
{
	XT_V2_RECEIVE(init);
	int same = 1;
	for (int i = 0; i < BIG; i++)
		same &= text[i] == 'a' + i % 26;
	CHECK(same);
	void *value;
	memcpy(&value, recs + 99000, sizeof(value));
	CHECK(value == &table[2]);
	CHECK(recs[0] == '-' && recs[98999] == '-' && recs[99008] == '-');
	XT_V2_RESULT();
}
