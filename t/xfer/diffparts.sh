#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# diffparts.sh: the state differencing cut in parts run by several threads
# reports what one thread reports.  v1/diffparts holds 100,000 heap
# objects; v2/diffparts changes one value in 997 on the way forward only,
# so the round trip finds about a hundred differences spread over the
# whole heap.  The update is run twice through the real ttstd, once with
# STF_XFER_THREADS=1 and once with STF_XFER_THREADS=4 (checked to have cut
# the comparison in several parts): both must roll back with the same
# number of differences, the same problems in the same order and the same
# differences printed by the reversed version, in the same order.
set -u
: "${TTSTD:?}" "${TTST_CTL:?}" "${STF_PLUGIN:?}" "${LIBSTF_DIR:?}" "${STF_INCLUDE:?}" "${TSRC:?}"
CC=${CC:-gcc}

if [ ! -f "$STF_PLUGIN" ]; then
	echo "SKIP: the plugin $STF_PLUGIN is not built"
	exit 77
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/ttst-diffparts.XXXXXX")
TTSTD_PID=
cleanup() {
	if [ -n "$TTSTD_PID" ] && kill -0 "$TTSTD_PID" 2>/dev/null; then
		kill "$TTSTD_PID" 2>/dev/null
		wait "$TTSTD_PID" 2>/dev/null
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
	echo "FAIL: diffparts: $*"
	for f in "$WORK"/update.* "$WORK"/program.*; do
		[ -s "$f" ] && { echo "---- $f"; head -c 4000 "$f"; echo; }
	done
	exit 1
}

for v in v1 v2; do
	mkdir "$WORK/$v"
	$CC -std=gnu11 -O0 -g -fplugin="$STF_PLUGIN" -I"$STF_INCLUDE" -I"$TSRC" \
		-o "$WORK/$v/diffparts" "$TSRC/$v/diffparts.c" \
		-L"$LIBSTF_DIR" -lstf -Wl,-rpath,"$LIBSTF_DIR" || fail "cannot build $v"
done

# run THREADS: one update with the differencing on THREADS threads
run() {
	sock=$WORK/ctl.$1
	STF_XFER_THREADS=$1 STF_XFER_PROFILE=1 "$TTSTD" --socket "$sock" --timeout 120 \
		-- "$WORK/v1/diffparts" >"$WORK/program.$1" 2>&1 &
	TTSTD_PID=$!
	up=
	for _ in $(seq 600); do
		if "$TTST_CTL" --socket "$sock" --json status 2>/dev/null | grep -q '"connected":1'; then
			up=1
			break
		fi
		sleep 0.05
	done
	[ -n "$up" ] || fail "v1 did not come up under ttstd"
	"$TTST_CTL" --socket "$sock" --json update --timeout 120 "$WORK/v2/diffparts" \
		>"$WORK/update.$1" 2>&1
	status=$?
	kill "$TTSTD_PID"
	wait "$TTSTD_PID" 2>/dev/null
	TTSTD_PID=
	[ $status -eq 1 ] || fail "$1 thread(s): the update did not roll back (exit $status)"
	grep -q 'state differs after the round trip' "$WORK/update.$1" ||
		fail "$1 thread(s): rolled back for another reason"
	# what the report says about the differences, timings left out
	tr ',{}' '\n\n\n' <"$WORK/update.$1" |
		grep -E '"(differences|first_diff|problems_omitted|reason)"|^"[^"]*@[0-9]+' \
		>"$WORK/found.$1"
	grep '^libstf: diff: ' "$WORK/program.$1" >"$WORK/printed.$1"
}

run 1
run 4
grep -q 'diff: compare objects, 1 part ' "$WORK/program.1" ||
	fail "STF_XFER_THREADS=1 did not compare in one part"
grep -q 'diff: compare objects, [2-9] parts' "$WORK/program.4" ||
	fail "STF_XFER_THREADS=4 did not cut the comparison in parts"
n=$(grep -c . "$WORK/printed.1")
[ "$n" -ge 100 ] || fail "expected about 100 differences, the reversed version printed $n"
cmp -s "$WORK/found.1" "$WORK/found.4" || {
	diff "$WORK/found.1" "$WORK/found.4" | head -20
	fail "the reports differ between 1 and 4 threads"
}
cmp -s "$WORK/printed.1" "$WORK/printed.4" || {
	diff "$WORK/printed.1" "$WORK/printed.4" | head -20
	fail "the differences printed differ between 1 and 4 threads"
}
echo "PASS: diffparts: $n differences, the same with 1 and 4 threads"
