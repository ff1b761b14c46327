#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# A malloc+free pair of libstf's costs no more instructions than glibc's
# (callgrind, the pairs of pair-cost.c only: 16, 64 and 256 B), in a
# program built with the plugin, as users build theirs.  Compact entries
# (cyc18) had made malloc's fast path find the span, the object's index
# and the entry's form per call: 87 instructions, a pair 1.13x glibc's
# instructions and 1.11-1.16x its time (malloc-bench ops).
# A library's pair (the program built without the plugin: every block of
# an external site, zeroed by libstf) costs at most 60 instructions more
# than glibc's (52: the zeroing's memset and a second try of the fast
# path, for external sites); the general slow path had cost 97 more.
command -v valgrind >/dev/null 2>&1 || { echo "SKIP: valgrind not installed"; exit 77; }
set -e
for v in glibc stf ext; do
	valgrind -q --tool=callgrind --toggle-collect=run_pairs \
		--callgrind-out-file=pair-cost-$v.out ./pair-cost-$v
done
g=$(awk '/^summary:/ { print $2 }' pair-cost-glibc.out)
s=$(awk '/^summary:/ { print $2 }' pair-cost-stf.out)
e=$(awk '/^summary:/ { print $2 }' pair-cost-ext.out)
rm -f pair-cost-glibc.out pair-cost-stf.out pair-cost-ext.out
echo "instructions of 300,000 pairs: glibc $g, libstf $s, libstf for a library's blocks $e"
[ -n "$g" ] && [ -n "$s" ] && [ -n "$e" ] && [ "$s" -le "$g" ] && [ "$e" -le $((g + 60 * 300000)) ]
