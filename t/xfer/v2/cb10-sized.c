/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of cb10-sized.c: struct conn gains a member before hits. */
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

static void on_conn(void *arg)
{
	struct conn *c = arg;
	c->hits++;
}

/* the callback a function returns: no slot the plugin follows */
static __attribute__((noinline)) void (*handler(int kind))(void *)
{
	return kind ? on_conn : NULL;
}

static __attribute__((noinline)) void init(int text)
{
	for (int i = 0; i < 3; i++) {
		void *ctx = malloc(32);
		if (text) {
			snprintf(ctx, 32, "text block %d of three, padded..", i);
		} else {
			memset(ctx, 0, 32);
			handler(1)(ctx);
		}
		ctxs[i] = ctx;
	}
}

static void init_conns(void)
{
	init(0);
}

int main(int argc, char **argv)
{
	XT_V2_RECEIVE(init_conns);
	for (int i = 0; i < 3; i++) {
		char want[32];
		snprintf(want, sizeof(want), "text block %d of three, padded..", i);
		CHECK(argc > 1 && !strcmp(argv[1], "text") && !strcmp(ctxs[i], want));
	}
	XT_V2_RESULT();
}
