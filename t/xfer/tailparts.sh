#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# tailparts.sh: typed blocks with bytes after their struct (Redis's
# embedded strings: an object, then its string in the same block) are
# transformed in the parts of the parallel transform when no word of
# those bytes points into the old version, not left to the serial loop,
# and give what one thread gives.  v1/tailparts holds 100,000 of them;
# the update to v2 (the same types) is run through the real ttstd with
# STF_XFER_THREADS=1 and =4: both must commit, v2 must find every value
# and its characters, the reports must count the same objects, and with 4
# threads the transform must have deferred none of them.  With one tail
# holding another value's address, the update must be refused.
NAME=tailparts
. "${TSRC:?}/parts-lib.sh"

update_at_1_and_4_threads '"(outcome|static_objects|dynamic_objects|bytes|pointers|type_transforms|integers|nowhere|dropped|added)"'
grep -q '"dynamic_objects":[1-9][0-9][0-9][0-9][0-9][0-9]' "$WORK/found.1" ||
	fail "fewer than 100,000 dynamic objects transferred"
transformed_in_parts 100000 "the 100,000 values"

# one tail holding an address: the parts leave it to the serial loop,
# which refuses the update naming the word
$CC -std=gnu11 -O0 -g -DTAIL_POINTER -fplugin="$STF_PLUGIN" -I"$STF_INCLUDE" -I"$TSRC" \
	-o "$WORK/v1ptr" "$TSRC/v1/tailparts.c" -L"$LIBSTF_DIR" -lstf -Wl,-rpath,"$LIBSTF_DIR" ||
	fail "cannot build v1 with -DTAIL_POINTER"
start_program 4 ptr "$WORK/v1ptr"
! update ptr "$WORK/v2" || fail "the update committed a tail holding an address"
stop_program
grep -q 'bytes after its last whole.*holds 0x' "$WORK/update.ptr" ||
	fail "the refusal does not name the word in the tail"
echo "PASS: tailparts: blocks with bytes after their struct transformed in parts, the same as on one thread"
