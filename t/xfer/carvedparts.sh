#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# carvedparts.sh: 1 MiB slab pages the program carves into objects
# itself (memcached's: kept at their address, their words classified as
# a block of bytes holding addresses, bytes.c, or as one struct whose
# flexible array holds them, flex-pages.c) are transformed in the parts
# of the parallel transform, cut by cost (a page counts for its words),
# not left to the serial loop, and give what one thread gives.  v1/carvedparts holds 8 such pages (about 49,000 items on
# an LRU list across them and in a typed hash table); v2 has the same
# types.  The update is run through the real ttstd with
# STF_XFER_THREADS=1 and =4: both must commit, v2 must find every item,
# the reports must count the same, and with 4 threads the parts must
# have transformed every page, deferring none.
NAME=carvedparts
. "${TSRC:?}/parts-lib.sh"

build "$TSRC/v1/carvedparts.c" "$WORK/v1"
build "$TSRC/v2/carvedparts.c" "$WORK/v2"

for t in 1 4; do
	start_program "$t" "$t" "$WORK/v1"
	update "$t" "$WORK/v2" || fail "$t threads: ttst-ctl update failed"
	new_version_ok "$t" || fail "$t threads: v2 did not find its state"
	stop_program
	report_fields "$t" '"(outcome|static_objects|dynamic_objects|bytes|pointers|type_transforms|integers|nowhere|dropped|added|pinned)"'
done
grep -q '"pinned":[1-9]' "$WORK/found.1" || fail "no page kept at its address"
cmp -s "$WORK/found.1" "$WORK/found.4" || {
	diff "$WORK/found.1" "$WORK/found.4" | head -20
	fail "the reports differ between 1 and 4 threads"
}
line=$(grep -m1 'profile.*transform: [0-9]* parts' "$WORK/program.4") ||
	fail "STF_XFER_THREADS=4 did not cut the transform in parts"
deferred=$(echo "$line" | sed -n 's/.*parts, \([0-9]*\) deferred.*/\1/p')
done=$(echo "$line" | sed -n 's/.*deferred, \([0-9]*\) in parts.*/\1/p')
[ "$deferred" = 0 ] || fail "the parts left $deferred objects to the serial loop: $line"
[ -n "$done" ] && [ "$done" -ge 8 ] ||
	fail "the parts transformed ${done:-no} objects, not the 8 pages: $line"
echo "PASS: carvedparts: carved slab pages transformed in parts ($done objects), as on one thread"
