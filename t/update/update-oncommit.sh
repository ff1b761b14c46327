#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# stf_on_commit: the after-commit hook runs in the new version once each
# update committed (not in a fresh start, not after a rollback), with
# stf_is_updating() 0, and rebuilds derived state from the transferred
# state (an index of the keys in a heap array it allocates); what it
# allocates is ordinary state the next update transfers.
. "${TSRC:-.}/lib.sh"
need_plugin
build v1/counter v1/counter.c -DON_COMMIT

start_ttstd --name oncommit -- "$WORK/v1/counter" "$SRV"
wait_connected
for k in 1 2 3; do
	expect "add $k" "$(q "add $k $((k * 10))")" ok
done
expect "derived before any update" "$(q derived)" "0 0 -1"

ctl update "$WORK/v1/counter" >"$WORK/out" 2>&1 || { cat "$WORK/out"; fail "update 1 did not commit"; }
expect "derived after update 1" "$(q derived)" "3 1 0"

expect "add 4" "$(q "add 4 40")" ok
ctl update "$WORK/v1/counter" >"$WORK/out" 2>&1 || { cat "$WORK/out"; fail "update 2 did not commit"; }
expect "derived after update 2" "$(q derived)" "4 2 0"

# a rolled back update runs no hook
ctl update --fault crash@backward "$WORK/v1/counter" >"$WORK/out" 2>&1
[ $? -eq 1 ] || { cat "$WORK/out"; fail "the update with a crash did not roll back"; }
expect "derived after a rollback" "$(q derived)" "4 2 0"
expect "get 2" "$(q "get 2")" 20
echo ok
