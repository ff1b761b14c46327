/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "xt.h"

static char *scratch;
static int *counters;

static __attribute__((noinline)) void setup(void)
{
	scratch = malloc(32);
	snprintf(scratch, 32, "fresh");
	counters = calloc(4, sizeof(*counters));
}

static __attribute__((noinline)) void init(void)
{
	snprintf(scratch, 32, "used by v1");
	counters[2] = 5;
}

int main(void)
{
	setup();
	XT_V2_RECEIVE(init);
	CHECK(!strcmp(scratch, "used by v1"));
	CHECK(counters[2] == 5);
	XT_V2_RESULT();
}
