/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of udmixed.c: struct conn_limits gains a member. */
#include "xt.h"

enum { UD_STATS, UD_LIMITS, UD_N };

struct conn_stats {
	unsigned long gets, sets;
};

struct conn_limits {
	unsigned max_req, max_bytes, max_conns;
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

int main(void)
{
	XT_V2_RECEIVE(init);
	struct conn_limits *lim = conn->ud[conn->fd - 6];
	CHECK(lim->max_req == 100 && lim->max_bytes == 200);
	XT_V2_RESULT();
}
