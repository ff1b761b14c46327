/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Version 2 of udslots.c: the statistics behind slot 2 gain a member. */
#include <stdint.h>
#include "xt.h"

enum { UD_REQUESTS, UD_SESSION, UD_STATS, UD_N };

struct conn_stats {
	unsigned long gets, sets, dels;
	unsigned long configs;
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

int main(void)
{
	XT_V2_RECEIVE(init);
	for (int i = 0; i < 3; i++) {
		struct conn *c = conns[i];
		CHECK(c->fd == 10 + i && (uintptr_t)c->ud[UD_REQUESTS] == (uintptr_t)(100 + i));
		CHECK(!memcmp(c->ud[UD_SESSION], "session", 8));
		struct conn_stats *st = c->ud[UD_STATS];
		struct stf_object_info info;
		CHECK(stf_lookup(st, &info) == 0 && info.size >= sizeof(*st));
		CHECK(st->gets == 1000u + i && st->sets == 2000u + i && st->dels == 3000u + i);
		CHECK(st->configs == 0);
	}
	XT_V2_RESULT();
}
