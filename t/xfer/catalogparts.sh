#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# catalogparts.sh: the catalog of a heap cut in parts read by several
# threads is the one a single thread makes.  v1/catalogparts holds 96,000
# records of five sizes (small size classes and 64 KiB buffers) with one
# in five freed among them; v2/catalogparts has the same types and checks
# every record.  The update is run through the real ttstd with
# STF_XFER_THREADS=1 and =4 (checked to have cut the catalog of the past
# in parts): both must commit (the round trip compared equal), v2 must
# find every record in order, and the reports must count the same
# objects, pointers and bytes.
NAME=catalogparts
. "${TSRC:?}/parts-lib.sh"

build "$TSRC/v1/catalogparts.c" "$WORK/v1"
build "$TSRC/v2/catalogparts.c" "$WORK/v2"

# run THREADS: one update of v1 to v2 with the transfer on THREADS
# threads; the report's counts in $WORK/found.THREADS
run() {
	start_program "$1" "$1" "$WORK/v1"
	update "$1" "$WORK/v2" || fail "$1 thread(s): the update did not commit"
	new_version_ok "$1" || fail "$1 thread(s): v2 did not find its state"
	stop_program
	# what the report counts, timings left out
	report_fields "$1" '"(outcome|static_objects|dynamic_objects|bytes|pointers|dropped|added|differences)"'
}

run 1
run 4
grep -q 'forward: catalog the past, 1 part ' "$WORK/program.1" ||
	fail "STF_XFER_THREADS=1 did not catalog the past's heap in one part"
grep -q 'forward: catalog the past, [2-8] parts' "$WORK/program.4" ||
	fail "STF_XFER_THREADS=4 did not cut the catalog of the past's heap in parts"
grep -q '"dynamic_objects":9[0-9][0-9][0-9][0-9]' "$WORK/found.1" ||
	fail "not the ~96,000 records kept: $(grep dynamic_objects "$WORK/found.1")"
cmp -s "$WORK/found.1" "$WORK/found.4" || {
	diff "$WORK/found.1" "$WORK/found.4" | head -20
	fail "the reports differ between 1 and 4 threads"
}
echo "PASS: catalogparts: the same catalog and transfer with 1 and 4 threads"
