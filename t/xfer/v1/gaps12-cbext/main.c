/* SPDX-License-Identifier: GPL-3.0-or-later */
/* A callback computed at run time that the plugin cannot follow: the
 * handler is the result of get_handler(), defined in another unit
 * (handlers.c), called at once with a job's `void *` argument,
 * `get_handler(kind)(arg)`.  The argument's block comes from a site of no
 * type (its size asked of handlers.c) and this unit never says what it
 * holds; the handler casts it to struct conn, which version 2 (built with
 * -DV2) grows.  The update must refuse, naming the block, and never
 * commit it copied as bytes. */
#include "xt.h"

typedef void (*handler_fn)(void *);
handler_fn get_handler(int kind);
size_t conn_size(void);

static void *args[2];

static __attribute__((noinline)) void run(void)
{
	for (int i = 0; i < 2; i++)
		get_handler(i)(args[i]);
}

static __attribute__((noinline)) void init(void)
{
	for (int i = 0; i < 2; i++)
		args[i] = calloc(1, conn_size());
	run();
}

int main(void)
{
#ifndef V2
	if (!stf_is_updating())
		init();
	for (;;) {
		stf_update_point();
		run();
		usleep(2000);
	}
#else
	XT_V2_RECEIVE(init);
	run();
	XT_V2_RESULT();
#endif
}
