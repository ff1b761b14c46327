#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# kvd under continuous client load, live-updated 1.0 -> 1.1 -> (1.2-bad,
# rolled back) -> 1.2.  Every committed update keeps every stored key and
# every counter; the faulty release is rolled back with 1.1 serving the
# same state from the same process; no client request ever fails.  The new
# code really runs on the old state: 1.1 accepts lines 1.0 refused.

. "$(dirname "$0")/lib.sh"

keys=3000
start_kvd 1.0 --timeout 30
kvload fill --keys $keys --seed 7 --prefix data >/dev/null || fail "fill failed"
# Misses: counted by stats.misses, renamed stats.not_found by 1.2.
kvload check --keys 500 --prefix absent >/dev/null 2>&1
[ "$(stats_field misses)" -ge 500 ] || fail "kvd 1.0 counted $(stats_field misses) misses, expected >= 500"
# Garbage and over-long lines cost the sender its connection, nothing more.
head -c 30000 /dev/urandom | "$KVD_DIR/kvc" --port "$port" --raw >/dev/null 2>&1
long=$(printf '%0700d' 0 | tr 0 v)
kvc "SET long $long" >/dev/null 2>&1 && fail "kvd 1.0 accepted a 700-byte value (its lines are 512 bytes)"
verify_ok "after garbage input"
sets_before=$(stats_field sets)
vlen=$(kvc "GET data:0" | sed 's/^VALUE //' | tr -d '\n' | wc -c)
kvc "SET hot a value read often" >/dev/null
start_load load

# ---- 1.0 -> 1.1: entry gains hits, vlen int -> long, members reordered,
# connection input buffer 512 -> 1024 bytes; value_bytes computed by a
# transformer (checked by VERIFY).
pid0=$(served_pid)
expect_update 0 1.1
note "1.0 -> 1.1 committed"
[ "$(stats_field version)" = 1.1 ] || fail "not serving 1.1 after the commit"
pid1=$(served_pid)
[ -n "$pid1" ] && [ "$pid1" != "$pid0" ] || fail "served pid '$pid0' -> '$pid1': expected the new version's process"
# vlen went through int -> long; the new member hits starts at 0.
kvc "INFO data:0" | grep -qx "INFO data:0 vlen=$vlen hits=0" ||
	fail "after the update: '$(kvc "INFO data:0")', expected 'INFO data:0 vlen=$vlen hits=0'"
kvload check --keys $keys --seed 7 --prefix data || fail "data lost by 1.0 -> 1.1"
verify_ok "after 1.0 -> 1.1"
[ "$(stats_field sets)" -ge "$sets_before" ] || fail "stats.sets went back from $sets_before"
[ "$(stats_field misses)" -ge 500 ] || fail "stats.misses lost by 1.0 -> 1.1"
kvc "SET long $long" | grep -qx OK || fail "kvd 1.1 refused a 700-byte value (its lines are 1024 bytes)"
kvc "GET hot" "GET hot" "GET hot" >/dev/null
kvc "INFO hot" | grep -q " hits=3$" || fail "hits not counted by 1.1: $(kvc "INFO hot")"

# ---- 1.1 -> 1.2-bad: forgot stf_rename of stats.misses; the forward
# transfer alone looks legal, the reversed version exposes the loss.
misses=$(stats_field misses)
expect_update 1 1.2-bad
grep -q 'misses' "$tmp/update.out" || {
	sed 's/^/  | /' "$tmp/update.out"
	fail "the rollback of 1.2-bad does not name stats.misses"
}
note "1.1 -> 1.2-bad rolled back: $(grep -m1 'misses' "$tmp/update.out")"
[ "$(stats_field version)" = 1.1 ] || fail "not serving 1.1 after the rollback"
[ "$(served_pid)" = "$pid1" ] || fail "the served process changed across a rollback"
kvload check --keys $keys --seed 7 --prefix data || fail "data lost by the rolled back update"
verify_ok "after the rollback"
[ "$(stats_field misses)" -ge "$misses" ] || fail "stats.misses went back across the rollback"
kvc "INFO hot" | grep -q " hits=3$" || fail "hits changed by the rolled back update: $(kvc "INFO hot")"

# ---- 1.1 -> 1.2: enum conn_state gains CONN_IDLE in front (values move),
# stats.misses renamed not_found via stf_rename.
misses=$(stats_field misses)
expect_update 0 1.2
note "1.1 -> 1.2 committed"
[ "$(stats_field version)" = 1.2 ] || fail "not serving 1.2 after the commit"
[ "$(stats_field not_found)" -ge "$misses" ] ||
	fail "stats.not_found = $(stats_field not_found) after the rename, expected >= $misses"
kvload check --keys $keys --seed 7 --prefix data || fail "data lost by 1.1 -> 1.2"
verify_ok "after 1.1 -> 1.2"
kvc "INFO hot" | grep -q " hits=3$" || fail "hits lost by 1.1 -> 1.2: $(kvc "INFO hot")"

"$TTST_CTL" --socket "$sock" history >"$tmp/history" || fail "ttst-ctl history failed"
awk '{ print $3 }' "$tmp/history" | tr '\n' ' ' | grep -qx 'committed rolled-back committed *' || {
	cat "$tmp/history"
	fail "history does not list committed, rolled back, committed"
}

stop_load
entries=$(stats_field entries)
[ "$(kvc COUNT)" = "COUNT $entries" ] || fail "COUNT and STATS disagree"
[ "$entries" -ge $keys ] || fail "only $entries entries left, stored $keys"
note "all updates behaved; $(kvc STATS)"
exit 0
