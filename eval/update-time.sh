#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Update time vs state size and vs type transformations (the paper's
# Figure 5).  bench/xfer-bench-prog.c with N heap objects (lists, trees,
# hash chains) runs under ttstd; `ttst-ctl --json update --dry-run` performs
# the whole transaction (quiesce, start F, forward transfer, start R,
# backward transfer, differencing) and rolls back, RUNS times per point,
# the fastest counting.  Target: the same build (no type changes) for the
# size curve, the build with -DXFER_BENCH_NEW_TYPES (every object's type
# changed) for the transformation curve.  "Forward only" = quiesce + start
# of F + forward transfer: what an update without validation would pause
# the program for; "full TTST" adds R, the backward transfer and the diff.
# Writes $OUT/data/time-size.dat and time-xform.dat.
. "$(dirname "$0")/lib.sh"

if [ "$QUICK" = 1 ]; then sizes="1000 10000 100000" runs=2
else sizes="1000 10000 100000 1000000" runs=3; fi
work=$OUT/work/update-time
mkdir -p "$work" "$OUT/data"
src=$SRCDIR/bench/xfer-bench-prog.c
cc_stf "$work/prog" "$src" || die "cannot build $src"
cc_stf "$work/prog-newtypes" "$src" -DXFER_BENCH_NEW_TYPES || die "cannot build $src (new types)"
cmds=$OUT/data/update-time.cmd
{
	echo "$CC -std=gnu11 -O2 -g -fplugin=stf.so -o prog bench/xfer-bench-prog.c -lstf"
	echo "$CC -std=gnu11 -O2 -g -fplugin=stf.so -DXFER_BENCH_NEW_TYPES -o prog-newtypes bench/xfer-bench-prog.c -lstf"
	echo "ttstd --socket S -- prog N    # N = $sizes"
	echo "ttst-ctl --socket S --json update --dry-run prog           # best of $runs"
	echo "ttst-ctl --socket S --json update --dry-run prog-newtypes  # best of $runs"
} >"$cmds"

# best TARGET OUTFILE: fastest of $runs dry runs (by total seconds)
best() {
	b=
	for _ in $(seq "$runs"); do
		"$TTST_CTL" --socket "$sock" --json update --dry-run --timeout 300 "$1" >"$work/try" 2>&1 ||
			{ cat "$work/try" >&2; die "dry run to $1 failed"; }
		t=$(json "$work/try" seconds total)
		if [ -z "$b" ] || awk -v a="$t" -v b="$b" 'BEGIN { exit !(a < b) }'; then
			b=$t
			cp "$work/try" "$2"
		fi
	done
}
row() { # JSONFILE: objects bytes type_transforms fwd_only_ms full_ms forward_ms backward_ms diff_ms
	f=$1
	awk -v q="$(json "$f" seconds quiesce)" -v sf="$(json "$f" seconds start_future)" \
	    -v fw="$(json "$f" seconds forward)" -v sr="$(json "$f" seconds start_reversed)" \
	    -v bw="$(json "$f" seconds backward)" -v df="$(json "$f" seconds diff)" \
	    -v n="$(json "$f" forward dynamic_objects)" -v by="$(json "$f" forward bytes)" \
	    -v tt="$(json "$f" forward type_transforms)" 'BEGIN {
		printf "%d %d %d %.2f %.2f %.2f %.2f %.2f\n", n, by, tt, (q + sf + fw) * 1e3,
			(q + sf + fw + sr + bw + df) * 1e3, fw * 1e3, bw * 1e3, df * 1e3 }'
}

hdr="# objects bytes type_transforms forward_only_ms full_ttst_ms forward_ms backward_ms diff_ms"
echo "$hdr" >"$OUT/data/time-size.dat"
echo "$hdr" >"$OUT/data/time-xform.dat"
for n in $sizes; do
	progress "update time: $n heap objects (building the state, then $runs dry runs each way)"
	sock=$work/s.$n
	start_supervised "$sock" "$work/ttstd.$n.log" "$work/prog" "$n"
	pid=$TTSTD_PID
	until grep -q memcpy_seconds "$work/ttstd.$n.log.out" 2>/dev/null; do sleep 0.1; done
	best "$work/prog" "$work/same.$n.json"
	best "$work/prog-newtypes" "$work/new.$n.json"
	stop_supervised "$pid"
	row "$work/same.$n.json" >>"$OUT/data/time-size.dat"
	row "$work/new.$n.json" >>"$OUT/data/time-xform.dat"
	progress "  same types: $(tail -n1 "$OUT/data/time-size.dat" | awk '{ printf "forward-only %s ms, full TTST %s ms", $4, $5 }');" \
		"new types: $(tail -n1 "$OUT/data/time-xform.dat" | awk '{ printf "%s transformations, full TTST %s ms", $3, $5 }')"
done
