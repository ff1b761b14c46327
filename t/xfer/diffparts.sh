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
NAME=diffparts
. "${TSRC:?}/parts-lib.sh"

build "$TSRC/v1/diffparts.c" "$WORK/v1"
build "$TSRC/v2/diffparts.c" "$WORK/v2"

# run THREADS: one update with the differencing on THREADS threads
run() {
	start_program "$1" "$1" "$WORK/v1"
	update "$1" "$WORK/v2"
	status=$?
	stop_program
	[ $status -eq 1 ] || fail "$1 thread(s): the update did not roll back (exit $status)"
	grep -q 'state differs after the round trip' "$WORK/update.$1" ||
		fail "$1 thread(s): rolled back for another reason"
	# what the report says about the differences, timings left out
	report_fields "$1" '"(differences|first_diff|problems_omitted|reason)"|^"[^"]*@[0-9]+'
	grep '^libstf: diff: ' "$WORK/program.$1" >"$WORK/printed.$1"
}

run 1
run 4
grep -q 'diff: compare objects, 1 part ' "$WORK/program.1" ||
	fail "STF_XFER_THREADS=1 did not compare in one part"
grep -Eq 'diff: compare objects, ([2-9]|[1-9][0-9]+) parts' "$WORK/program.4" ||
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
