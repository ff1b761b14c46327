#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# A pool_alloc + pool_free pair of a pool declared STF_ALLOCATOR, built
# with the plugin, costs at most 70 instructions more than the plain
# build's (callgrind, the pairs of pool-pair.c only).  Noted in the
# thread's log (runtime/sub-pending.c), a pair cost 281 against 11 plain
# (the plain build inlines conn_alloc); noted inline in the shadow map
# (runtime/sub-shadow.c, gcc-plugin/inline-notes.cc), 87: the note, the
# give-back, the slot allocator's stf__slot_arg call and conn_alloc's own
# call; with the pool recorded once per thread (a compare with a
# thread-local word at the call, the call only for another pool), 73.
. "$srcdir/pair-count.sh"
pair_count pool-pair
echo "instructions of 100,000 pool pairs: plain $plain, with the plugin $instrumented"
[ -n "$plain" ] && [ -n "$instrumented" ] && [ "$instrumented" -le $((plain + 70 * 100000)) ]
