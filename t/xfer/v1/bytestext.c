/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Text in a block allocated as bytes whose 8 bytes happen to read as an
 * address: inside a static number (not the start of a value), inside a
 * function, and past everything mapped.  None is a pointer: the text must
 * come through unchanged.
 */
#include "xt.h"

static struct {
	long number;
	int flags;
} counters = { 5, 1 };
static unsigned char *text;
static unsigned long looks[3]; /* the words, as numbers */

static int work(void)
{
	return counters.flags;
}

static __attribute__((noinline)) void init(void)
{
	text = calloc(1, 64);
	looks[0] = (unsigned long)&counters.number + 3;
	looks[1] = (unsigned long)work + 1;
	looks[2] = 0x00007a6f6f6cUL; /* "looz" and two NULs */
	memcpy(text, "abcdefgh", 8);
	memcpy(text + 8, &looks[0], 8);
	memcpy(text + 16, &looks[1], 8);
	memcpy(text + 24, &looks[2], 8);
	memcpy(text + 32, "the end", 8);
}

int main(void)
{
	init();
	XT_V1_LOOP();
}
