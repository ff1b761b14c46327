#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Integration: plugin-prog.c built with the real stf.so plugin and linked
# with libstf, at -O0 and -O2, directly and through ttst-cc (compile with
# -c, then link), must pass its own checks.
plugin=$top_builddir/gcc-plugin/.libs/stf.so
libs=$top_builddir/libstf/.libs
if [ ! -f "$plugin" ]; then
	echo "SKIP: $plugin is not built (gcc-plugin/)"
	exit 77
fi
set -e
for opt in -O0 -O2; do
	$CC $opt -std=gnu11 -pthread -fplugin="$plugin" -I"$top_srcdir/libstf" \
		"$srcdir/plugin-prog.c" -o plugin-prog -L"$libs" -lstf -Wl,-rpath,"$libs"
	./plugin-prog
done

export TTST_PLUGIN="$plugin" TTST_INCLUDEDIR="$top_srcdir/libstf" TTST_LIBDIR="$libs" TTST_CC="$CC"
cc="$top_builddir/tools/ttst-cc"
$cc -O2 -std=gnu11 -pthread -c "$srcdir/plugin-prog.c" -o plugin-prog-cc.o
$cc -pthread plugin-prog-cc.o -o plugin-prog-cc
rm -f plugin-prog-cc.o
readelf -d plugin-prog-cc | grep -q 'NEEDED.*libstf\.so'
./plugin-prog-cc
# Source on standard input is linked too.
echo 'int main(void) { return 0; }' | $cc -x c - -o plugin-prog-cc
readelf -d plugin-prog-cc | grep -q 'NEEDED.*libstf\.so'
./plugin-prog-cc
# Compile-only modes never link.
$cc -E "$srcdir/plugin-prog.c" > /dev/null
$cc -MM -I"$top_srcdir/libstf" "$srcdir/plugin-prog.c" | grep -q 'plugin-prog.o:'
# Missing pieces are named.
if TTST_PLUGIN=/nonexistent/stf.so $cc -c "$srcdir/plugin-prog.c" -o /dev/null 2> plugin-cc.err; then
	echo "ttst-cc accepted a missing plugin"; exit 1
fi
grep -q 'stf.so plugin is missing: /nonexistent/stf.so' plugin-cc.err
rm -f plugin-cc.err
