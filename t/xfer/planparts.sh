#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# planparts.sh: the untyped plan's lookups made ahead by several threads
# (transfer/plan-lookups.c) give the plan one thread gives.  v1/planparts
# holds 80,000 entries whose values are ambiguous unions: typed records
# they pin, untyped blocks they keep at their address (each pinning a
# record and keeping the next block), numbers.  The update to v2 is run
# through the real ttstd with STF_XFER_THREADS=1 and =4 (checked to have
# looked ahead in parts, and not with one thread): both must commit, v2
# must find every value, and the reports must count the same objects,
# pointers and pinned objects.  v1/planparts-addr/planparts.c also keeps,
# in one entry in 1,000, an integer of an address type pointing inside a
# record, which the plan refuses: both runs must roll back naming the
# same entry.
NAME=planparts
. "${TSRC:?}/parts-lib.sh"

build "$TSRC/v1/planparts.c" "$WORK/v1"
build "$TSRC/v1/planparts-addr/planparts.c" "$WORK/v1-addr"
build "$TSRC/v2/planparts.c" "$WORK/v2"

for t in 1 4; do
	update_case v1.$t $t v1 v2 0 "$REPORT_FIELDS"
	update_case v1-addr.$t $t v1-addr v2 1 "$REPORT_FIELDS"
done
! grep -q 'lookups ahead' "$WORK/program.v1.1" ||
	fail "STF_XFER_THREADS=1 looked the plan's words up ahead"
for v in v1 v1-addr; do
	grep -Eq 'untyped plan: lookups ahead in ([2-9]|[1-9][0-9]+) parts' "$WORK/program.$v.4" ||
		fail "$v, STF_XFER_THREADS=4: the plan's words were not looked up ahead in parts"
done
grep -q '"pinned":[1-9]' "$WORK/found.v1.1" || fail "no object pinned"
grep -q '"pointers":[1-9]' "$WORK/found.v1.1" || fail "no pointers counted"
grep -q 'an integer of an address type' "$WORK/update.v1-addr.1" ||
	fail "v1-addr rolled back otherwise: $(head -c 600 "$WORK/update.v1-addr.1")"
for v in v1 v1-addr; do
	cmp -s "$WORK/found.$v.1" "$WORK/found.$v.4" || {
		diff "$WORK/found.$v.1" "$WORK/found.$v.4" | head -20
		fail "$v: the reports differ between 1 and 4 threads"
	}
done
echo "PASS: planparts: the same untyped plan with 1 and 4 threads, committed and rolled back"
