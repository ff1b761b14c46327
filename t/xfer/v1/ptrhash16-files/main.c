/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * Connections and peers kept in sets keyed by their address, hashed in
 * another file (set.c) through `void *` parameters; version 2 grows both
 * structs within their blocks: they keep their address, so version 2
 * (this file with V2 defined) finds each of them by it.
 */
#include "xt.h"
#include "set.h"

struct conn {
	long id;
	int fd;
#ifdef V2
	int port;      /* new in 2: 28 bytes, in the block's 32 */
#endif
	char name[12];
};

struct peer {
	int port;
	int weight;
#ifdef V2
	int flags;     /* new in 2: 28 bytes, in the block's 32 */
#endif
	long seen;
	long last;
};

#define NCONNS 20
#define NPEERS 6

static struct set live, peers;
static struct conn *all[NCONNS];
static void *registry[NPEERS]; /* peers, of no type here */

static void init(void)
{
	for (int i = 0; i < NCONNS; i++) {
		all[i] = calloc(1, sizeof(struct conn));
		all[i]->id = i;
		all[i]->fd = 100 + i;
		snprintf(all[i]->name, sizeof all[i]->name, "conn%d", i);
		set_add(&live, all[i]);
	}
	for (int i = 0; i < NPEERS; i++) {
		struct peer *p = calloc(1, sizeof *p);
		p->port = 7000 + i;
		registry[i] = p;
	}
	for (int i = 0; i < NPEERS; i++)
		set_add(&peers, registry[i]);
}

int main(void)
{
	XT_PAIR_START(init);
#ifdef V2
	for (int i = 0; i < NCONNS; i++) {
		CHECK(all[i]->id == i && all[i]->fd == 100 + i && all[i]->port == 0);
		CHECK(set_has(&live, all[i]));
	}
	CHECK(live.n == NCONNS);
	for (int i = 0; i < NPEERS; i++) {
		struct peer *p = registry[i];
		CHECK(p->port == 7000 + i && p->flags == 0);
		CHECK(set_has(&peers, p));
	}
	XT_V2_RESULT();
#endif
}
