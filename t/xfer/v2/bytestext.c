/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Version 2 of bytestext.c: the static moves (a member before `number`).
 */
#include "xt.h"

static struct {
	int kind;
	long number;
	int flags;
} counters = { 0, 5, 1 };
static unsigned char *text;
static unsigned long looks[3];

static int work(void)
{
	return counters.flags;
}

static __attribute__((noinline)) void init(void)
{
	text = calloc(1, 64);
	looks[0] = (unsigned long)&counters.number + 3;
	looks[1] = (unsigned long)work + 1;
	looks[2] = 0x00007a6f6f6cUL;
	memcpy(text, "abcdefgh", 8);
	memcpy(text + 8, &looks[0], 8);
	memcpy(text + 16, &looks[1], 8);
	memcpy(text + 24, &looks[2], 8);
	memcpy(text + 32, "the end", 8);
}

int main(void)
{
	XT_V2_RECEIVE(init);
	CHECK(!memcmp(text, "abcdefgh", 8));
	CHECK(!memcmp(text + 8, &looks[0], 8));
	CHECK(!memcmp(text + 16, &looks[1], 8));
	CHECK(!memcmp(text + 24, &looks[2], 8));
	CHECK(!memcmp(text + 32, "the end", 8));
	CHECK(work() == 1);
	XT_V2_RESULT();
}
