/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A set keyed by object address (the slot and the stored hash computed
 * from the connection's address): version 2 keeps the connection's type
 * and grows the slots.  Without a reason to move, the connections still
 * used to move to fresh blocks; they keep their address now, and version
 * 2 finds each of them by it.
 */
#include <stdint.h>
#include "xt.h"

struct conn {
	int fd;
	char name[12];
};

struct slot {
	struct conn *c;
	uintptr_t hash;
};

#define NSLOTS 64
#define NCONNS 20

static struct slot *live;
static struct conn *all[NCONNS];

static uintptr_t hash_ptr(const void *p)
{
	return ((uintptr_t)p >> 4) * 0x9E3779B97F4A7C15ull;
}

static void live_add(struct conn *c)
{
	uintptr_t h = hash_ptr(c);
	unsigned i = h % NSLOTS;
	while (live[i].c)
		i = (i + 1) % NSLOTS;
	live[i].c = c;
	live[i].hash = h;
}

static void init(void)
{
	live = calloc(NSLOTS, sizeof *live);
	for (int i = 0; i < NCONNS; i++) {
		all[i] = calloc(1, sizeof(struct conn));
		all[i]->fd = 100 + i;
		snprintf(all[i]->name, sizeof all[i]->name, "conn%d", i);
		live_add(all[i]);
	}
}

int main(void)
{
	init();
	XT_V1_LOOP();
}
