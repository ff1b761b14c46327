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
command -v valgrind >/dev/null 2>&1 || { echo "SKIP: valgrind not installed"; exit 77; }
plugin=$top_builddir/gcc-plugin/.libs/stf.so
[ -f "$plugin" ] || { echo "SKIP: $plugin is not built (gcc-plugin/)"; exit 77; }
set -e
export TTST_PLUGIN="$plugin" TTST_INCLUDEDIR="$top_srcdir/libstf" \
	TTST_LIBDIR="$top_builddir/libstf/.libs" TTST_CC="$CC"
$CC -O2 -std=gnu11 -I"$top_srcdir/libstf" "$srcdir/pool-pair.c" -o pool-pair-plain
"$top_builddir/tools/ttst-cc" -O2 -std=gnu11 "$srcdir/pool-pair.c" -o pool-pair-stf
for v in plain stf; do
	valgrind -q --tool=callgrind --toggle-collect=run_pairs \
		--callgrind-out-file=pool-pair-$v.out ./pool-pair-$v
done
p=$(awk '/^summary:/ { print $2 }' pool-pair-plain.out)
s=$(awk '/^summary:/ { print $2 }' pool-pair-stf.out)
rm -f pool-pair-plain.out pool-pair-stf.out pool-pair-plain pool-pair-stf
echo "instructions of 100,000 pool pairs: plain $p, with the plugin $s"
[ -n "$p" ] && [ -n "$s" ] && [ "$s" -le $((p + 70 * 100000)) ]
