/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Callbacks registered with a value behind a `void *` member:
 * `timer_add(ms, session_expire, c->ctx)` and `timer_add(ms, on_flush,
 * c->out)`.  timer_add (timers.c) keeps the pair in its own list and the
 * value's only uses are in the callbacks: on_flush here, session_expire
 * in session.c.  The blocks come from sites of no type (`c->ctx =
 * calloc(1, sizeof(struct session))`).  Version 2 extends both structs:
 * they must arrive as version 2's structs, or the update must refuse. */
#include "xt.h"
#include "timers.h"
#include "session.h"

struct outbuf {
	unsigned len;
	unsigned long flushes;
	char data[24];
};

struct conn {
	int fd;
	void *ctx;
	void *out;
};

static struct conn *conns[3];

static void on_flush(void *arg)
{
	struct outbuf *b = arg;
	if (!b->len) {
		strcpy(b->data, "hello");
		b->len = 5;
	}
	b->flushes++;
}

static __attribute__((noinline)) void init(void)
{
	for (int i = 0; i < 3; i++) {
		struct conn *c = calloc(1, sizeof(*c));
		c->fd = 10 + i;
		c->ctx = calloc(1, sizeof(struct session));
		c->out = calloc(1, sizeof(struct outbuf));
		timer_add(100, session_expire, c->ctx);
		timer_add(10, on_flush, c->out);
		conns[i] = c;
	}
	timers_run();
}

int main(void)
{
	if (!stf_is_updating())
		init();
	for (;;) {
		stf_update_point();
		usleep(2000);
		if (!conns[0]) /* never: keeps timers_run in -O2 builds */
			timers_run();
	}
}
