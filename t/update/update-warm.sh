#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The fresh memory of an update made ready before the pause (warm.c): a
# program of 300,000 heap objects, asked for an update, first populates
# about what the new and reversed versions will take (their heaps, the
# transfer's tables) while it still serves, and unmaps it when the new
# version is spawned.  The dry run reports that memory and the time it
# took, which the pause does not count (the program still served); the
# program's resident memory afterwards is what it was before, and so is
# the old version's while it is kept frozen under a watch.
. "${TSRC:-.}/lib.sh"
need_plugin
N=300000
start_bigstate warm $N
pid=$(program_pid)
rss() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$pid/status"; }
before=$(rss)

ctl update --dry-run "$WORK/v1/bigstate" >"$WORK/out" 2>&1; rc=$?
cat "$WORK/out"
expect "dry run exit status" $rc 0
grep -q "(of which making memory ready [0-9.]*)" "$WORK/out" ||
	fail "the dry run did not report the memory made ready"
warmed=$(history_field state_warmed_bytes) warm=$(history_field warm)
settle=$(history_field settle) pause=$(history_field pause_estimate)
total=$(history_field total)
after=$(rss)
echo "made ready $warmed bytes in $warm s (settle $settle s), pause ~$pause s, total $total s;" \
	"VmRSS $before kB before, $after kB after"
# 300,000 objects: their heap twice and the tables, more than 100 MB
# (less if the machine has less than 400 MB free: then 0, no failure)
free_kb=$(sed -n 's/^MemFree:[[:space:]]*\([0-9]*\) kB/\1/p' /proc/meminfo)
if [ "$free_kb" -gt 409600 ]; then
	[ "${warmed:-0}" -ge 100000000 ] || fail "only ${warmed:-no} bytes were made ready"
fi
awk -v w="$warm" -v s="$settle" -v p="$pause" -v t="$total" \
    'BEGIN { exit !(w > 0 && w <= s && p + w <= t) }' ||
	fail "the pause ($pause s) counts the time memory was made ready ($warm s of $total s)"
[ $((after - before)) -le 16384 ] ||
	fail "the program kept $((after - before)) kB more resident after the dry run"
kill -0 "$pid" 2>/dev/null || fail "the program is gone"
bigstate_check $N

# committed with a watch: the old version, kept frozen meanwhile, keeps
# none of that memory either (what F did not take is unmapped once R is
# gone; before, it stayed until the watch ended)
ctl update --watch 6 "$WORK/v1/bigstate" >"$WORK/out" 2>&1 &
watcher=$!
for _ in $(seq 600); do
	[ "$(program_pid)" != "$pid" ] && break
	sleep 0.1
done
[ "$(program_pid)" != "$pid" ] || { wait $watcher; cat "$WORK/out"; fail "the update did not commit"; }
sleep 1
frozen=$(rss)
echo "VmRSS of the old version, frozen during the watch: $frozen kB"
[ $((frozen - before)) -le 16384 ] ||
	fail "the old version kept $((frozen - before)) kB more resident during the watch"
wait $watcher || { cat "$WORK/out"; fail "the update with a watch failed"; }
bigstate_check $N
echo ok
