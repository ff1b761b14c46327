#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# placedparts.sh: typed objects kept at their address for an untyped
# word (pinned) and untyped blocks kept at theirs (their words
# classified) are transformed in the parts of the parallel transform,
# not left to the serial loop (a libevent-shaped heap's connections and
# buffers), and give what one thread gives.  v1/placedparts holds 60,000
# connections, each pinned by a slot of an untyped fd map and holding an
# untyped buffer that points back to it; v2 reorders the connection's
# members.  The update is run through the real ttstd with
# STF_XFER_THREADS=1 and =4: both must commit, v2 must find every
# connection through the map and its buffer, the reports must count the
# same, and with 4 threads the parts must have transformed the
# connections and buffers (120,000 objects), deferring none.
NAME=placedparts
. "${TSRC:?}/parts-lib.sh"

build "$TSRC/v1/placedparts.c" "$WORK/v1"
build "$TSRC/v2/placedparts.c" "$WORK/v2"

for t in 1 4; do
	start_program "$t" "$t" "$WORK/v1"
	update "$t" "$WORK/v2" || fail "$t threads: ttst-ctl update failed"
	new_version_ok "$t" || fail "$t threads: v2 did not find its state"
	stop_program
	report_fields "$t" '"(outcome|static_objects|dynamic_objects|bytes|pointers|type_transforms|integers|nowhere|dropped|added|pinned|member_moved)"'
done
grep -q '"pinned":[1-9]' "$WORK/found.1" || fail "no object pinned"
cmp -s "$WORK/found.1" "$WORK/found.4" || {
	diff "$WORK/found.1" "$WORK/found.4" | head -20
	fail "the reports differ between 1 and 4 threads"
}
line=$(grep -m1 'profile.*transform: [0-9]* parts' "$WORK/program.4") ||
	fail "STF_XFER_THREADS=4 did not cut the transform in parts"
deferred=$(echo "$line" | sed -n 's/.*parts, \([0-9]*\) deferred.*/\1/p')
done=$(echo "$line" | sed -n 's/.*deferred, \([0-9]*\) in parts.*/\1/p')
[ "$deferred" = 0 ] || fail "the parts left $deferred objects to the serial loop: $line"
[ -n "$done" ] && [ "$done" -ge 120000 ] ||
	fail "the parts transformed ${done:-no} objects, not the 120,000 connections and buffers: $line"
echo "PASS: placedparts: pinned and placed objects transformed in parts ($done), as on one thread"
