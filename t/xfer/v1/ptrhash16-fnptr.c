/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A generic table keyed by `void *` whose hash function is reached through
 * a function pointer of the table (its callers are not known): the keys'
 * targets, of any type, keep their address; version 2 grows the sessions
 * within their blocks and finds every one by its address (version 2 is
 * this file with V2 defined).
 */
#include <stdint.h>
#include "xt.h"

struct table {
	uint64_t (*hash)(const void *key);
	void **keys;
	uint64_t *hashes;
	unsigned cap;
};

struct session {
	long id;
	int fd;
#ifdef V2
	int flags;     /* new in 2: 28 bytes, in the block's 32 */
#endif
	char user[12];
};

#define NSESS 12

static struct table sessions;
static struct session *all[NSESS];

static uint64_t hash_addr(const void *key)
{
	return ((uintptr_t)key >> 3) * 0x9E3779B97F4A7C15ull;
}

static void table_put(struct table *t, void *key)
{
	uint64_t h = t->hash(key);
	unsigned i = h % t->cap;
	while (t->keys[i])
		i = (i + 1) % t->cap;
	t->keys[i] = key;
	t->hashes[i] = h;
}

static void init(void)
{
	sessions.hash = hash_addr;
	sessions.cap = 32;
	sessions.keys = calloc(sessions.cap, sizeof *sessions.keys);
	sessions.hashes = calloc(sessions.cap, sizeof *sessions.hashes);
	for (int i = 0; i < NSESS; i++) {
		all[i] = calloc(1, sizeof(struct session));
		all[i]->id = i;
		all[i]->fd = 50 + i;
		table_put(&sessions, all[i]);
	}
}

#ifdef V2
static int table_has(const struct table *t, const void *key)
{
	uint64_t h = t->hash(key);
	for (unsigned i = h % t->cap; t->keys[i]; i = (i + 1) % t->cap)
		if (t->keys[i] == key && t->hashes[i] == h)
			return 1;
	return 0;
}
#endif

int main(void)
{
	XT_PAIR_START(init);
#ifdef V2
	for (int i = 0; i < NSESS; i++) {
		CHECK(all[i]->id == i && all[i]->fd == 50 + i && all[i]->flags == 0);
		CHECK(table_has(&sessions, all[i]));
	}
	XT_V2_RESULT();
#endif
}
