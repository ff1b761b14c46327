#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# A pool_alloc + pool_free pair of a pool declared STF_ALLOCATOR, built
# with the plugin, costs at most 55 instructions more than the plain
# build's, at -O2 and at -O0 (callgrind, the pairs of pool-pair.c only).
# Noted in the thread's log (runtime/sub-pending.c), a pair cost 281
# against 11 plain at -O2 (the plain build inlines conn_alloc); noted
# inline in the shadow map (runtime/sub-shadow.c,
# gcc-plugin/inline-notes.cc), 87: the note, the give-back, the slot
# allocator's stf__slot_arg call and conn_alloc's own call; with the pool
# recorded once per thread (a compare with a thread-local word at the
# call, the call only for another pool), 73 (149 against 63 plain at
# -O0); with the site's code cached in a byte of the call's, the
# granule's index and its alignment tested in one compare (rotated), and
# each test a condition of its own (not a flag -O0 keeps), 62 (115 at
# -O0).
. "$srcdir/pair-count.sh"
for opt in -O2 -O0; do
	pair_count pool-pair $opt
	echo "instructions of 100,000 pool pairs at $opt: plain $plain, with the plugin $instrumented"
	[ -n "$plain" ] && [ -n "$instrumented" ] && [ "$instrumented" -le $((plain + 55 * 100000)) ] || exit 1
done
