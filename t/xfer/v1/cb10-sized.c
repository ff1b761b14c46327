/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Untyped blocks no record types: `void *ctx = malloc(sizeof(struct
 * conn))` kept in a static `void *` array and handed to a callback a
 * function returns (`handler(1)(ctx)`), which the plugin does not
 * follow; only the callback says it is a struct conn.  Version 2
 * grows struct conn: the update must refuse the blocks (copied as bytes
 * they would be read with the new layout).  With the argument "text" the
 * blocks are text of the same size instead, and the update commits with
 * their bytes as they are. */
#include "xt.h"

struct conn {
	int fd;
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

int main(int argc, char **argv)
{
	if (!stf_is_updating())
		init(argc > 1 && !strcmp(argv[1], "text"));
	XT_V1_LOOP();
}
