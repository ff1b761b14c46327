#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# freshpages.sh: the pages an update of a Redis-shaped heap touches for
# the first time, one by one.  On the virtual machines we run on a page
# faulted in costs ~15 us (a 2 MiB huge page, populated in one call, 0.1
# ms per MiB), so the transfer's large tables must not take fresh 4 KiB
# pages a fault at a time.  v1/freshpages holds 100,000 dict entries as
# Redis's (~350,000 objects): strings of untyped allocations kept at
# their address (the placed blocks' table, the slot table), values that
# a union's word pins (the pins' table), `void *` members (the use
# paths of every inference pass).  The update, through the real ttstd,
# must commit with the new version finding every entry, and the new and
# the reversed version's transfer steps (STF_XFER_PROFILE) must fault at
# most 1 page per 30 objects.  With those tables on fresh 4 KiB pages:
# 18,201 faults for 350,001 objects, 1 per 19 (bench/run-xfer's redis
# case at 10^6 objects: 80,000, 1.2 s of CPU); on huge or kept pages
# 7,580, 1 per 46 (2026-12-06).
NAME=freshpages
. "${TSRC:?}/parts-lib.sh"

build "$TSRC/v1/freshpages.c" "$WORK/v1"
build "$TSRC/v2/freshpages.c" "$WORK/v2"

start_program 2 v2 "$WORK/v1"
update v2 "$WORK/v2" || fail "the update did not commit"
new_version_ok v2 || fail "the new version did not find its state"
stop_program
objects=$(tr ',{}' '\n\n\n' <"$WORK/update.v2" | sed -n 's/^"dynamic_objects":\([0-9]*\)$/\1/p' | head -1)
faults=$(sed -n 's/.*profile [0-9]*: .* \([0-9][0-9]*\) page faults .*/\1/p' "$WORK/program.v2" |
	awk '{ s += $1 } END { print s + 0 }')
[ "${objects:-0}" -gt 300000 ] || fail "$objects objects transferred, not the ~350,000 of the program"
echo "$faults page faults for $objects objects"
[ "$faults" -gt 0 ] || fail "no profile of the transfer's steps (STF_XFER_PROFILE)"
[ $((faults * 30)) -le "$objects" ] ||
	fail "$faults page faults in the transfer's steps for $objects objects: more than 1 per 30"
echo "PASS: freshpages: $faults page faults for $objects objects"
