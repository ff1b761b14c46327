/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * addrset.h - shared by the version pairs of t/xfer that keep a set keyed
 * by object address, as servers keep their live connections (and GLib's
 * g_direct_hash does): open addressing, the slot chosen by the object's
 * address, each slot keeping the object and the hash it was filed under.
 * Define ADDRSET_ELEM (the struct the set holds) and NSLOTS before
 * including it, and ADDRSET_SLOT_MORE for members the slot has besides.
 */
#ifndef ADDRSET_H
#define ADDRSET_H

#include <stdint.h>

struct slot {
	ADDRSET_ELEM *obj;
	uintptr_t hash;
#ifdef ADDRSET_SLOT_MORE
	ADDRSET_SLOT_MORE
#endif
};

static struct slot *live;

static uintptr_t hash_ptr(const void *p)
{
	return ((uintptr_t)p >> 4) * 0x9E3779B97F4A7C15ull;
}

static void live_add(ADDRSET_ELEM *e)
{
	uintptr_t h = hash_ptr(e);
	unsigned i = h % NSLOTS;
	while (live[i].obj)
		i = (i + 1) % NSLOTS;
	live[i].obj = e;
	live[i].hash = h;
}

#ifdef V2
static ADDRSET_ELEM *live_find(const ADDRSET_ELEM *e)
{
	uintptr_t h = hash_ptr(e);
	for (unsigned i = h % NSLOTS; live[i].obj; i = (i + 1) % NSLOTS)
		if (live[i].obj == e && live[i].hash == h)
			return live[i].obj;
	return NULL;
}
#endif

#endif
