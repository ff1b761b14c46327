#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# An xmalloc + xfree pair of a size-prefixing wrapper declared
# STF_ALLOCATOR, of a size that varies (strings of 8-200 bytes), built
# with the plugin, costs at most 250 instructions more than the plain
# build's (callgrind, the pairs of wrap-pair.c only), and each live
# string is then found by stf_lookup as itself, of its size.  Noted in
# the thread's log (runtime/sub-pending.c), a pair cost 1,114 against 190
# plain; noted inline in the shadow map, its size read back from the
# wrapper's header when the registry is read (runtime/sub-shadow.c,
# stf__sub_note_sized), 367: most of the rest is free's slow path, which
# a block in a 64 KiB unit holding notes takes (runtime/alloc.c).
command -v valgrind >/dev/null 2>&1 || { echo "SKIP: valgrind not installed"; exit 77; }
plugin=$top_builddir/gcc-plugin/.libs/stf.so
[ -f "$plugin" ] || { echo "SKIP: $plugin is not built (gcc-plugin/)"; exit 77; }
set -e
export TTST_PLUGIN="$plugin" TTST_INCLUDEDIR="$top_srcdir/libstf" \
	TTST_LIBDIR="$top_builddir/libstf/.libs" TTST_CC="$CC"
$CC -O2 -std=gnu11 -I"$top_srcdir/libstf" "$srcdir/wrap-pair.c" -o wrap-pair-plain
"$top_builddir/tools/ttst-cc" -O2 -std=gnu11 "$srcdir/wrap-pair.c" -o wrap-pair-stf
"$top_builddir/tools/ttst-cc" -O2 -std=gnu11 -DCHECK_LOOKUP "$srcdir/wrap-pair.c" \
	-o wrap-pair-check
LD_LIBRARY_PATH="$TTST_LIBDIR" ./wrap-pair-check
for v in plain stf; do
	LD_LIBRARY_PATH="$TTST_LIBDIR" valgrind -q --tool=callgrind --toggle-collect=run_pairs \
		--callgrind-out-file=wrap-pair-$v.out ./wrap-pair-$v
done
p=$(awk '/^summary:/ { print $2 }' wrap-pair-plain.out)
s=$(awk '/^summary:/ { print $2 }' wrap-pair-stf.out)
rm -f wrap-pair-plain.out wrap-pair-stf.out wrap-pair-plain wrap-pair-stf wrap-pair-check
echo "instructions of 100,000 wrapper pairs: plain $p, with the plugin $s"
[ -n "$p" ] && [ -n "$s" ] && [ "$s" -le $((p + 250 * 100000)) ]
