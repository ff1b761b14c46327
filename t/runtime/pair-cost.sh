#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# A malloc+free pair of libstf's costs no more instructions than glibc's
# (callgrind, the pairs of pair-cost.c only: 16, 64 and 256 B).  Compact
# entries (cyc18) had made malloc's fast path find the span, the
# object's index and the entry's form per call: 87 instructions, a pair
# 1.13x glibc's instructions and 1.11-1.16x its time (malloc-bench ops).
command -v valgrind >/dev/null 2>&1 || { echo "SKIP: valgrind not installed"; exit 77; }
set -e
for v in glibc stf; do
	valgrind -q --tool=callgrind --toggle-collect=run_pairs \
		--callgrind-out-file=pair-cost-$v.out ./pair-cost-$v
done
g=$(awk '/^summary:/ { print $2 }' pair-cost-glibc.out)
s=$(awk '/^summary:/ { print $2 }' pair-cost-stf.out)
rm -f pair-cost-glibc.out pair-cost-stf.out
echo "instructions of 300,000 pairs: glibc $g, libstf $s"
[ -n "$g" ] && [ -n "$s" ] && [ "$s" -le "$g" ]
