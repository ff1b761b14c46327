#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# unreachedparts.sh: the walk that finds the old heap blocks nothing
# carried reaches (libstf/transfer/unreached.c), cut in parts run by
# several threads, finds what one thread finds.  v1/unreachedparts holds
# 200,000 list nodes each pointing to the one allocated before it (so the
# parts reach each other's blocks, mostly ones their sweeps passed), side
# blocks only an integer member names, and 200 leaked cycles of three
# blocks with a side block each: 800 blocks the forward transfer must
# drop, and the differencing must not ask back.  The update is run
# through the real ttstd with STF_XFER_THREADS=1 and =4 (checked to have
# cut the walk in parts): both must commit with 800 blocks dropped, the new version must find every
# node, and the reports must count the same.  The differencing checks
# the 800 blocks that did not come back by one pass over the past's words
# (none points into them), not a walk; built without the leaks, the
# update drops none and the differencing, which every block came back
# to, checks nothing.
NAME=unreachedparts
. "${TSRC:?}/parts-lib.sh"

build "$TSRC/v1/unreachedparts.c" "$WORK/v1"
build "$TSRC/v2/unreachedparts.c" "$WORK/v2"
plain_cc=$CC
CC="$CC -DNO_LEAKS"
build "$TSRC/v1/unreachedparts.c" "$WORK/v1-none"
build "$TSRC/v2/unreachedparts.c" "$WORK/v2-none"
CC=$plain_cc

# run THREADS OLD NEW: one update of OLD to NEW with the transfer on
# THREADS threads, committed, NEW finding its state; the report's counts
# in $WORK/found.NEW.THREADS
run() {
	tag=$3.$1
	start_program "$1" "$tag" "$WORK/$2"
	update "$tag" "$WORK/$3" || fail "$tag: the update did not commit"
	new_version_ok "$tag" || fail "$tag: the new version did not find its state"
	stop_program
	report_fields "$tag" '"(outcome|unreached|static_objects|dynamic_objects|bytes|pointers|integers|differences)"'
}

# walks OLD NEW: a dry run of OLD to NEW on 4 threads (the reversed
# version's profile is printed then); the profile lines of the walks the
# new and the reversed versions made
walks() {
	tag=dry.$2
	start_program 4 "$tag" "$WORK/$1"
	"$TTST_CTL" --socket "$WORK/ctl.$tag" --json update --dry-run --timeout 120 "$WORK/$2" \
		>"$WORK/update.$tag" 2>&1 || fail "$tag: the dry run failed"
	grep -q '"outcome":"validated"' "$WORK/update.$tag" || fail "$tag: not validated"
	stop_program
	sed -n 's/.*profile [0-9]*: \(unreached blocks, [a-z0-9 ]*[a-z]\) .*/\1/p' "$WORK/program.$tag" |
		tr '\n' ';'
}

for t in 1 4; do
	run $t v1 v2
done
run 4 v1-none v2-none
grep -q '"unreached":800$' "$WORK/found.v2.1" || fail "not the 800 leaked blocks dropped"
cmp -s "$WORK/found.v2.1" "$WORK/found.v2.4" || {
	diff "$WORK/found.v2.1" "$WORK/found.v2.4" | head -20
	fail "the reports differ between 1 and 4 threads"
}
grep -q 'unreached blocks, 1 part ' "$WORK/program.v2.1" ||
	fail "STF_XFER_THREADS=1: no walk on one thread (STF_XFER_PROFILE)"
grep -q 'unreached blocks, [2-9] parts' "$WORK/program.v2.4" ||
	fail "STF_XFER_THREADS=4 did not cut the walk in parts"
! grep -q '"unreached":[1-9]' "$WORK/found.v2-none.4" || fail "blocks dropped without leaks"
# the new version's walk; the reversed version's check of the 800 blocks
# that did not come back (no other object points into them: no walk),
# and nothing when all came back
found=$(walks v1 v2)
case $found in
"unreached blocks, "[2-9]" parts;unreached blocks, none entered;") ;;
*) fail "dry run with the leaks: '$found', not the new version's walk in parts and the reversed version's check without a walk" ;;
esac
found=$(walks v1-none v2-none)
case $found in
"unreached blocks, "[2-9]" parts;") ;;
*) fail "dry run without leaks: '$found', not the new version's walk alone" ;;
esac
echo "PASS: unreachedparts: the same blocks dropped with 1 and 4 threads, the differencing's walk only when needed"
