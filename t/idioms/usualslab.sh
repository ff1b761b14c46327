#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# usualslab (usualslab/: items from a slab made at every start with
# slab_create(sizeof(struct item)), as libusual's (pgbouncer's) and
# memcached's slabs are; slab_alloc, declared STF_ALLOCATOR, takes the
# slab and no size; a free list threaded through the free chunks; items
# pointing to items; a client number kept in a `void *`; an array whose
# capacity beyond its length holds stale pointers; slab_free, slab_alloc's
# partner by name, ends the registration of each item given back, and
# the stale pointers into those slots must keep pointing nowhere: the
# round trip rolled back when they were taken for pointers one past the
# end of the item before the slot) under idload's
# checking load, updated 1 -> 2 (struct item grows past its chunk: every
# item gets a chunk of the slab release 2's startup made) and then 2 -> 2
# eleven times.  After every commit: VERIFY (chains, LRU list, free list,
# every chunk's place in the slab, the client numbers, the CAS numbers)
# passes, every key is there, and no request of the load failed.  The
# load deletes keys: the free list is not empty at the first update.

SERVER=usualslab
VERSION_1="VERSION 1"
VERSION_2="VERSION 2"
. "$(dirname "$0")/lib.sh"

run_updates
