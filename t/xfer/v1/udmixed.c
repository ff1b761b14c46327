/* SPDX-License-Identifier: GPL-3.0-or-later */
/* User-data slots read by a computed index: each slot holds another
 * struct, which the code names only as `c->ud[kind]`.  No element says
 * its type, and one of the types grows in version 2. */
#include "xt.h"

enum { UD_STATS, UD_LIMITS, UD_N };

struct conn_stats {
	unsigned long gets, sets;
};

struct conn_limits {
	unsigned max_req, max_bytes;
};

struct conn {
	int fd;
	void *ud[UD_N];
};

static struct conn *conn;

static __attribute__((noinline)) void init(void)
{
	conn = calloc(1, sizeof(*conn));
	conn->fd = 7;
	for (int k = 0; k < UD_N; k++)
		conn->ud[k] = calloc(1, 16);
	struct conn_stats *st = conn->ud[conn->fd - 7];
	st->gets = 11;
	st->sets = 12;
	struct conn_limits *lim = conn->ud[conn->fd - 6];
	lim->max_req = 100;
	lim->max_bytes = 200;
}

static __attribute__((noinline)) unsigned serve(void)
{
	struct conn_stats *st = conn->ud[conn->fd - 7];
	struct conn_limits *lim = conn->ud[conn->fd - 6];
	return (unsigned)st->gets + lim->max_req;
}

int main(void)
{
	if (!stf_is_updating())
		init();
	unsigned want = stf_is_updating() ? 0 : serve();
	for (;;) {
		stf_update_point();
		if (want && serve() != want)
			abort();
		usleep(2000);
	}
}
