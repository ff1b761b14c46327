/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of numconv.c: every member changes type. */
#include <stdbool.h>
#include <stdint.h>
#include "xt.h"

enum color { C_RED = 1, C_GREEN = 2, C_BLUE = 4 };

struct metrics {
	float requests;
	float ratio;
	int load;
	double bytes;
	int enabled;
	int64_t delta;
	int32_t port;
	int color;
	enum color mode;
	unsigned char grade;
};

static struct metrics m[2];
static struct metrics *mp = &m[1];

static __attribute__((noinline)) void init(void)
{
	mp = &m[1];
}

int main(void)
{
	XT_V2_RECEIVE(init);
	for (int i = 0; i < 2; i++) {
		CHECK(m[i].requests == (float)(16777216 - i));
		CHECK(m[i].ratio == 0.5f * (float)(i + 1));
		CHECK(m[i].load == 3 + i);
		CHECK(m[i].bytes == (double)((1LL << 53) - i));
		CHECK(m[i].enabled == i);
		CHECK(m[i].delta == -128 + i);
		CHECK(m[i].port == 65535 - i);
		CHECK(m[i].color == (i ? C_BLUE : C_GREEN));
		CHECK(m[i].mode == (i ? C_BLUE : C_RED));
		CHECK(m[i].grade == 'A' + i);
	}
	CHECK(mp == &m[1]);
	XT_V2_RESULT();
}
