#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# xformparts.sh: the transform cut in parts run by several threads gives
# what one thread gives.  v1/xformparts holds 100,000 heap objects whose
# pointers reach the heap, statics, string literals, the program's
# functions and (one in 1,000) a libc function, which only the serial loop
# may look up; v2/xformparts changes their type.  The update is run through
# the real ttstd with STF_XFER_THREADS=1 and =4 (checked to have cut the
# transform in parts): both must commit, v2 must find every value and
# pointer in place, and the reports must count the same objects, pointers,
# type changes and bytes.  v2/xformparts-lossy/xformparts.c narrows a member so that
# values all over the heap no longer fit: both runs must roll back with
# the same problems in the same order (the parts leave them to the serial
# loop).
NAME=xformparts
. "${TSRC:?}/parts-lib.sh"

build "$TSRC/v1/xformparts.c" "$WORK/v1"
build "$TSRC/v2/xformparts.c" "$WORK/v2"
build "$TSRC/v2/xformparts-lossy/xformparts.c" "$WORK/v2-lossy"

for t in 1 4; do
	update_case v2.$t $t v1 v2 0 "$REPORT_FIELDS"
	update_case v2-lossy.$t $t v1 v2-lossy 1 "$REPORT_FIELDS"
done
grep -q 'forward: transform' "$WORK/program.v2.1" ||
	fail "no profile of the forward transform (STF_XFER_PROFILE)"
! grep -q 'transform: [0-9]* parts' "$WORK/program.v2.1" ||
	fail "STF_XFER_THREADS=1 cut the transform in parts"
grep -Eq 'transform: ([2-9]|[1-9][0-9]+) parts' "$WORK/program.v2.4" ||
	fail "STF_XFER_THREADS=4 did not cut the transform in parts"
grep -q 'transform: parts met problems, serial' "$WORK/program.v2-lossy.4" ||
	fail "STF_XFER_THREADS=4: the lossy transform did not go back to one thread"
grep -q '"pointers":[1-9]' "$WORK/found.v2.1" || fail "no pointers counted"
grep -q 'does not fit' "$WORK/update.v2-lossy.1" || fail "the lossy update failed otherwise"
[ "$(grep -c 'does not fit' "$WORK/found.v2-lossy.1")" -ge 10 ] ||
	fail "the lossy update did not list its problems"
for v in v2 v2-lossy; do
	cmp -s "$WORK/found.$v.1" "$WORK/found.$v.4" || {
		diff "$WORK/found.$v.1" "$WORK/found.$v.4" | head -20
		fail "$v: the reports differ between 1 and 4 threads"
	}
done
echo "PASS: xformparts: the same transfer with 1 and 4 threads, committed and rolled back"
