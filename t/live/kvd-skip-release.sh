#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# kvd 1.0 -> 1.2 in one live update, skipping 1.1, under client load: every
# change of both releases at once (member added, widened, reordered; buffer
# grown, and shrunk back for the reversed 1.0; new counter computed by a
# transformer; enum values moved; member renamed with stf_rename).  A dry
# run first must validate and change nothing.  20000 stored keys: some
# 60000 heap objects.

. "$(dirname "$0")/lib.sh"

keys=20000
start_kvd 1.0 --timeout 30
kvload fill --keys $keys --seed 11 --prefix data >/dev/null || fail "fill failed"
kvload check --keys 300 --prefix absent >/dev/null 2>&1
misses=$(stats_field misses)
[ "$misses" -ge 300 ] || fail "kvd 1.0 counted $misses misses, expected >= 300"
start_load load
pid0=$(served_pid)

expect_update 0 1.2 --dry-run
grep -q '^validated' "$tmp/update.out" || fail "the dry run did not report 'validated'"
[ "$(stats_field version)" = 1.0 ] || fail "a dry run changed the running version"
[ "$(served_pid)" = "$pid0" ] || fail "a dry run changed the served process"
verify_ok "after the dry run"
note "dry run validated 1.0 -> 1.2 and rolled back"

expect_update 0 1.2
[ "$(stats_field version)" = 1.2 ] || fail "not serving 1.2 after the commit"
[ "$(served_pid)" != "$pid0" ] || fail "still the old process after the commit"
[ "$(stats_field not_found)" -ge "$misses" ] ||
	fail "stats.not_found = $(stats_field not_found), expected >= $misses (renamed from misses)"
kvload check --keys $keys --seed 11 --prefix data || fail "data lost by 1.0 -> 1.2"
verify_ok "after 1.0 -> 1.2"
kvc "INFO data:1" | grep -q " hits=1$" || fail "INFO after 1.0 -> 1.2: $(kvc "INFO data:1")"
stop_load
note "1.0 -> 1.2 committed: $(kvc STATS)"
exit 0
