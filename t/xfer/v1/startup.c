/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Both versions allocate at startup whether updating or not: the new
 * version's own startup object is replaced by the old version's and must
 * not travel back (the old version has no counterpart for it). */
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
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
