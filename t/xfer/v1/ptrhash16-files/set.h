/* SPDX-License-Identifier: GPL-3.0-or-later */
/* set.h - a set of objects keyed by their address, of any type (void *). */
#include <stddef.h>
#include <stdint.h>

struct ent {
	void *key;
	uint64_t hash;
};

struct set {
	struct ent *ents;
	size_t cap, n;
};

uint64_t addr_hash(const void *p);
void set_add(struct set *s, void *key);
int set_has(const struct set *s, const void *key);
