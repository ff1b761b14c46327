/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A set keyed by object address holding, besides heap connections, a
 * static one (the listener): a static lives in the executable, so it
 * cannot keep its address in the new version and the hash of its address
 * would be wrong there: the update rolls back naming it.
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
static struct conn listener = { 3, "listener" };

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
	live_add(&listener);
}

static struct conn *live_find(const struct conn *c)
{
	uintptr_t h = hash_ptr(c);
	for (unsigned i = h % NSLOTS; live[i].c; i = (i + 1) % NSLOTS)
		if (live[i].c == c && live[i].hash == h)
			return live[i].c;
	return NULL;
}

int main(void)
{
	XT_V2_RECEIVE(init);
	for (int i = 0; i < NCONNS; i++) {
		CHECK(all[i]->fd == 100 + i);
		CHECK(live_find(all[i]) == all[i]);
	}
	CHECK(live_find(&listener) == &listener);
	XT_V2_RESULT();
}
