#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# slabput: t/idioms/slab (slab/1, slab/2: memcached-style items carved
# out of 64 KB slabs, a free list threaded through the free chunks) built
# with its allocator named item_get, declared STF_ALLOCATOR, and its free
# item_put, its partner by name (get/put): the chunks given back are no
# objects.  Under idload's checking load it is updated 1 -> 2 (-DSTAMPED:
# struct item grows by 24 bytes to its whole 128-byte chunk, past the
# 16-byte rounding of its end) and then 2 -> 2 eleven times.  The load
# deletes keys, so the live items of a slab are not evenly spaced at the
# first update: their chunk is the greatest common divisor of the
# distances between the chunks known (before branch free14 this server
# committed too: its slab is a static passed to item_get, so each item
# got a slot of version 2's slab; t/xfer/free14-slab is the shape that
# rolled back).  After every commit: VERIFY (chains, LRU list, free list,
# every chunk's place, the census, the client numbers, the stamps)
# passes, every key is there, and no request of the load failed.

SERVER=slabput
VERSION_1="VERSION 1"
VERSION_2="VERSION 2"
. "$(dirname "$0")/lib.sh"

run_updates
