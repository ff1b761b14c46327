/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * set.c - a set of objects keyed by their address, in a file of its own:
 * the hash of each key's address is kept beside it, the slot chosen by it;
 * growing rehashes the keys read back from the entries (pointers of no
 * known type).
 */
#include <stdlib.h>
#include "set.h"

uint64_t addr_hash(const void *p)
{
	uint64_t h = (uintptr_t)p;
	h ^= h >> 17;
	return h * 0xff51afd7ed558ccdull;
}

static void put(struct set *s, void *key, uint64_t h)
{
	size_t i = h & (s->cap - 1);
	while (s->ents[i].key)
		i = (i + 1) & (s->cap - 1);
	s->ents[i].key = key;
	s->ents[i].hash = h;
	s->n++;
}

void set_add(struct set *s, void *key)
{
	if (2 * (s->n + 1) > s->cap) {
		struct ent *old = s->ents;
		size_t cap = s->cap;
		s->cap = cap ? 2 * cap : 8;
		s->ents = calloc(s->cap, sizeof *s->ents);
		s->n = 0;
		for (size_t i = 0; i < cap; i++)
			if (old[i].key)
				put(s, old[i].key, addr_hash(old[i].key));
		free(old);
	}
	put(s, key, addr_hash(key));
}

int set_has(const struct set *s, const void *key)
{
	uint64_t h = addr_hash(key);
	for (size_t i = h & (s->cap - 1); s->ents[i].key; i = (i + 1) & (s->cap - 1))
		if (s->ents[i].key == key && s->ents[i].hash == h)
			return 1;
	return 0;
}
