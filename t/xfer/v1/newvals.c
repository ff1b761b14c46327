/* SPDX-License-Identifier: GPL-3.0-or-later */
/* New state gets the new version's values: version 2 adds members to a
 * static struct, elements to a static array and a new static, each with
 * an initializer, and computes a member at startup. */
#include "xt.h"

struct config {
	int port;
	int verbose;
};

static struct config cfg = { 80, 0 };
static int table[3] = { 1, 2, 3 };

static __attribute__((noinline)) void init(void)
{
	cfg.port = 8080;
	cfg.verbose = 1;
	for (int i = 0; i < 3; i++)
		table[i] = 10 * (i + 1);
}

int main(void)
{
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
