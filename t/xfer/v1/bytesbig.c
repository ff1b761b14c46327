/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Large blocks allocated as bytes (read straight into their new objects
 * when they hold no address): text, and one whose record near its end,
 * past the first 64 KiB, points to a static.
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
	init();
	XT_V1_LOOP();
}
