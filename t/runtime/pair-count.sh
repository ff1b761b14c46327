# SPDX-License-Identifier: GPL-3.0-or-later
#
# pair-count.sh - sourced by pool-pair-cost.sh and wrap-pair-cost.sh:
# `pair_count NAME [OPT]` builds $srcdir/NAME.c plain (gcc) and with the
# plugin (ttst-cc), at OPT (-O2 by default), and sets $plain and
# $instrumented to the instructions of its run_pairs in each (callgrind);
# sourced, it skips the test (77) without valgrind or the plugin.
command -v valgrind >/dev/null 2>&1 || { echo "SKIP: valgrind not installed"; exit 77; }
plugin=$top_builddir/gcc-plugin/.libs/stf.so
[ -f "$plugin" ] || { echo "SKIP: $plugin is not built (gcc-plugin/)"; exit 77; }
set -e
export TTST_PLUGIN="$plugin" TTST_INCLUDEDIR="$top_srcdir/libstf" \
	TTST_LIBDIR="$top_builddir/libstf/.libs" TTST_CC="$CC"

pair_count()
{
	$CC "${2:--O2}" -std=gnu11 -I"$top_srcdir/libstf" "$srcdir/$1.c" -o "$1-plain"
	"$top_builddir/tools/ttst-cc" "${2:--O2}" -std=gnu11 "$srcdir/$1.c" -o "$1-stf"
	for v in plain stf; do
		LD_LIBRARY_PATH="$TTST_LIBDIR" valgrind -q --tool=callgrind \
			--toggle-collect=run_pairs --callgrind-out-file="$1-$v.out" "./$1-$v"
	done
	plain=$(awk '/^summary:/ { print $2 }' "$1-plain.out")
	instrumented=$(awk '/^summary:/ { print $2 }' "$1-stf.out")
	rm -f "$1-plain.out" "$1-stf.out" "$1-plain" "$1-stf"
}
