#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# setkeys.sh: the checks of a typed pointer that points where no struct
# of its type is, into a block typed as numbers, are worked out once per
# kind of pointer, not once per pointer.  v1/setkeys holds a set shaped as
# Redis 7.2's: each member's key (an sds, its block typed as bytes) held
# by a `struct entry *` bucket as its odd address.  The update to v2 (the
# same types) must commit and v2 find every member; the new version runs
# under callgrind, and the check of such a pointer's struct against the
# new version's (stf__struct_changes: the struct's name formatted and
# looked up) must have run a few times, not for each of the ~15,000 keys
# held in buckets (before: ~15,000 calls in each direction, 15% of the
# redis bench's transform).
NAME=setkeys
. "${TSRC:?}/parts-lib.sh"
update_counted
calls=$(calls_of stf__struct_changes)
echo "stf__struct_changes ran $calls times"
[ "$calls" -lt 100 ] ||
	fail "the checks of the keys held in buckets ran $calls times, once per pointer"
echo "PASS: setkeys: the checks of odd keys in typed buckets worked out once per kind"
