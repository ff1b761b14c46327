#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# pool (pool/: nginx-style pools carving objects out of 4 KB chunks, with
# pool_alloc and pool_strdup declared STF_ALLOCATOR; zones of entries in
# arrays of structs behind `void *elts`; module configurations returned
# and kept as `void *`) under idload's checking load, updated 1 -> 2
# (struct entry and the stats module's configuration gain members) and
# then 2 -> 2 eleven times.  After every commit: VERIFY (every string in
# its zone's pool, every chunk, every entry, the module counters) passes,
# every key is there, and no request of the load failed.  The fill makes
# six zones and the load a seventh: the zone array has grown (moved to a
# larger block of the pool) before the first update.

SERVER=pool
VERSION_1="VERSION 1"
VERSION_2="VERSION 2"
. "$(dirname "$0")/lib.sh"

run_updates
