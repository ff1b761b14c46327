#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# A big real program with libstf preloaded: the compiler (driver, cc1 and
# assembler, a few hundred thousand allocations, fork and exec) must
# produce the same object file as without it, and sort(1) the same output.
set -e
lib=$top_builddir/libstf/.libs/libstf.so
[ -f "$lib" ] || { echo "libstf.so not built"; exit 1; }
src=$top_srcdir/libstf/runtime/alloc.c
$CC -O2 -std=gnu11 -D_GNU_SOURCE -I"$top_srcdir/libstf" -c "$src" -o preload-plain.o
LD_PRELOAD=$(cd "$(dirname "$lib")" && pwd)/libstf.so \
	$CC -O2 -std=gnu11 -D_GNU_SOURCE -I"$top_srcdir/libstf" -c "$src" -o preload-stf.o
cmp preload-plain.o preload-stf.o
seq 1 50000 | sed 's/$/ line/' > preload-in.txt
sort -r preload-in.txt > preload-plain.txt
LD_PRELOAD=$(cd "$(dirname "$lib")" && pwd)/libstf.so sort -r preload-in.txt > preload-stf.txt
cmp preload-plain.txt preload-stf.txt
rm -f preload-plain.o preload-stf.o preload-in.txt preload-plain.txt preload-stf.txt
