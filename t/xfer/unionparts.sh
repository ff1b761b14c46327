#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# unionparts.sh: objects holding an ambiguous union (a Redis dict entry's
# value: a pointer or a number) are transformed in the parts of the
# parallel transform, not left to the serial loop, and give what one
# thread gives.  v1/unionparts holds 100,000 such entries; the update to
# v2 (the same types) is run through the real ttstd with
# STF_XFER_THREADS=1 and =4: both must commit, v2 must find every value,
# the reports must count the same objects, pointers and integers, and
# with 4 threads the transform must have deferred none of them.
NAME=unionparts
. "${TSRC:?}/parts-lib.sh"

build "$TSRC/v1/unionparts.c" "$WORK/v1"
build "$TSRC/v2/unionparts.c" "$WORK/v2"

for t in 1 4; do
	start_program "$t" "$t" "$WORK/v1"
	update "$t" "$WORK/v2" || fail "$t threads: ttst-ctl update failed"
	new_version_ok "$t" || fail "$t threads: v2 did not find its state"
	stop_program
	report_fields "$t" '"(outcome|static_objects|dynamic_objects|bytes|pointers|type_transforms|integers|nowhere|dropped|added)"'
done
grep -q '"pointers":[1-9]' "$WORK/found.1" || fail "no pointers counted"
grep -q '"integers":[1-9]' "$WORK/found.1" || fail "no integers counted"
cmp -s "$WORK/found.1" "$WORK/found.4" || {
	diff "$WORK/found.1" "$WORK/found.4" | head -20
	fail "the reports differ between 1 and 4 threads"
}
grep -Eq 'transform: ([2-9]|[1-9][0-9]+) parts' "$WORK/program.4" ||
	fail "STF_XFER_THREADS=4 did not cut the transform in parts"
! grep 'transform: [0-9]* parts, [1-9][0-9]* deferred' "$WORK/program.4" ||
	fail "the parts left entries to the serial loop"
echo "PASS: unionparts: ambiguous unions transformed in parts, the same as on one thread"
