/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Per-connection state in `void *` user-data slots (an array member):
 * slot 0 a counter stored as an integer, slot 1 a blob of raw bytes,
 * slot 2 the connection's typed statistics, which version 2 extends.
 * The statistics block must arrive as version 2's struct, or the update
 * must refuse it: copied as bytes, version 2 would write its new member
 * past the end of the block. */
#include <stdint.h>
#include "xt.h"

enum { UD_REQUESTS, UD_SESSION, UD_STATS, UD_N };

struct conn_stats {
	unsigned long gets, sets, dels;
};

struct conn {
	int fd;
	void *ud[UD_N];
};

static struct conn *conns[3];

static __attribute__((noinline)) void init(void)
{
	for (int i = 0; i < 3; i++) {
		struct conn *c = calloc(1, sizeof(*c));
		c->fd = 10 + i;
		c->ud[UD_REQUESTS] = (void *)(uintptr_t)(100 + i);
		c->ud[UD_SESSION] = calloc(1, 48);
		memcpy(c->ud[UD_SESSION], "session", 8);
		c->ud[UD_STATS] = calloc(1, sizeof(struct conn_stats));
		struct conn_stats *st = c->ud[UD_STATS];
		st->gets = 1000 + i;
		st->sets = 2000 + i;
		st->dels = 3000 + i;
		conns[i] = c;
	}
}

/* Reads what init stored, so that -O2 keeps conns and its stores. */
static __attribute__((noinline)) unsigned long serve(void)
{
	unsigned long sum = 0;
	for (int i = 0; i < 3; i++) {
		struct conn_stats *st = conns[i]->ud[UD_STATS];
		sum += st->gets + st->sets + st->dels + (uintptr_t)conns[i]->ud[UD_REQUESTS];
	}
	return sum;
}

int main(void)
{
	if (!stf_is_updating())
		init();
	unsigned long want = stf_is_updating() ? 0 : serve();
	for (;;) {
		stf_update_point();
		if (want && serve() != want)
			abort();
		usleep(2000);
	}
}
