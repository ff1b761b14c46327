/* SPDX-License-Identifier: GPL-3.0-or-later */
/* cb10-evlocal with the callback and the initializer in another unit
 * (conn.c): main.c allocates the events' arguments at a site of no type
 * (`void *ctx = malloc(sizeof(struct conn))`) and hands them to
 * conn_init and event_new with on_read; only conn.c says what they are.
 * Version 2 extends struct conn: the blocks must arrive as version 2's
 * struct, or the update must refuse them. */
#include "xt.h"
#include "conn.h"

static struct event *evs[3];

static __attribute__((noinline)) void init(void)
{
	for (int i = 0; i < 3; i++) {
		void *ctx = malloc(sizeof(struct conn));
		conn_init(ctx, i);
		evs[i] = event_new(NULL, -1, 0, on_read, ctx);
	}
}

int main(void)
{
	if (!stf_is_updating()) {
		init();
		for (unsigned i = 0; i < sizeof(evs) / sizeof(evs[0]); i++)
			if (!event_get_callback_arg(evs[i]))
				abort(); /* read at -O2 */
	}
	XT_V1_LOOP();
}
