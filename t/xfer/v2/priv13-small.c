/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of priv13-small.c: struct conn grows to 48 bytes, the site
 * still allocates 32. */
#include "xt.h"

struct conn {
	int fd;
	int prio;
	unsigned long started;
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
	XT_V2_RECEIVE(init);
	CHECK(!"the update must not commit: version 2's blocks are too small");
	XT_V2_RESULT();
}
