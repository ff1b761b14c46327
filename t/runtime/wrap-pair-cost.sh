#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# An xmalloc + xfree pair of a size-prefixing wrapper declared
# STF_ALLOCATOR, of a size that varies (strings of 8-200 bytes), built
# with the plugin, costs at most 45 instructions more than the plain
# build's (callgrind, the pairs of wrap-pair.c only), and each live
# string is then found by stf_lookup as itself, of its size.  Noted in
# the thread's log (runtime/sub-pending.c), a pair cost 1,114 against 190
# plain; noted inline in the shadow map, its size read back from the
# wrapper's header when the registry is read (runtime/sub-shadow.c,
# stf__sub_note_sized), 367, of which 110 free's slow path, which a block
# in a 64 KiB unit holding notes took (xfree is no partner: the string's
# note is still there); 240 with free's fast path clearing the block's
# granules last (runtime/alloc.c, freed_notes); 228 with the site's
# code cached in a byte of the call's and the granule's index and
# alignment tested in one compare (gcc-plugin/inline-notes.cc).
. "$srcdir/pair-count.sh"
"$top_builddir/tools/ttst-cc" -O2 -std=gnu11 -DCHECK_LOOKUP "$srcdir/wrap-pair.c" \
	-o wrap-pair-check
LD_LIBRARY_PATH="$TTST_LIBDIR" ./wrap-pair-check
rm -f wrap-pair-check
pair_count wrap-pair
echo "instructions of 100,000 wrapper pairs: plain $plain, with the plugin $instrumented"
[ -n "$plain" ] && [ -n "$instrumented" ] && [ "$instrumented" -le $((plain + 45 * 100000)) ]
