#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# slab (slab/: memcached-style items carved out of 64 KB slabs by
# slab_alloc, declared STF_ALLOCATOR, a free list threaded through the
# free chunks; items pointing to items; a client number kept in a `void *`;
# arrays whose capacity beyond their length is uninitialized or holds
# stale pointers) under idload's checking load, updated 1 -> 2 (struct
# item gains a member and still fits its chunk) and then 2 -> 2 eleven
# times.  After every commit: VERIFY (chains, LRU list, free list, every
# chunk's place, the slab census, the client numbers) passes, every key is
# there, and no request of the load failed.  The load deletes keys: the
# free list is not empty at the first update.

SERVER=slab
VERSION_1="VERSION 1"
VERSION_2="VERSION 2"
. "$(dirname "$0")/lib.sh"

run_updates
