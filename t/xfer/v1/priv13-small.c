/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Blocks allocated with a constant size, `malloc(32)`, the size of struct
 * conn in version 1, handed to the callback that uses them as struct
 * conn: the site's blocks are struct conns.  Version 2 grows struct conn
 * to 48 bytes but still allocates 32: its site hands out blocks smaller
 * than the struct its code uses them as.  The update must refuse naming
 * the site, both sizes and the fix. */
#include "xt.h"

struct conn {
	int fd;
	unsigned long hits;
	const char *label;
	char pad[8];
};

static void *ctxs[3];

static __attribute__((noinline)) void on_conn(void *arg)
{
	struct conn *c = arg;
	c->hits++;
}

static __attribute__((noinline)) void init(void)
{
	for (int i = 0; i < 3; i++) {
		void *ctx = malloc(32);
		memset(ctx, 0, 32);
		on_conn(ctx);
		ctxs[i] = ctx;
	}
}

int main(void)
{
	if (!stf_is_updating())
		init();
	XT_V1_LOOP();
}
