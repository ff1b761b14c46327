#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The fresh memory of an update made ready before the pause (warm.c): a
# program of 300,000 heap objects, asked for an update, first populates
# about what the new and reversed versions will take (their heaps, the
# transfer's tables) while it still serves, and unmaps it when the new
# version is spawned.  The dry run reports that memory and the time it
# took, which the pause does not count (the program still served); the
# program's resident memory afterwards is what it was before.
. "${TSRC:-.}/lib.sh"
need_plugin
build v1/bigstate v1/bigstate.c -pthread
N=300000

start_ttstd --name warm -- "$WORK/v1/bigstate" $N "$WORK/ask" "$WORK/state"
wait_connected
for _ in $(seq 600); do
	[ -s "$WORK/state" ] && break
	sleep 0.1
done
expect "sum before" "$(cat "$WORK/state")" $((N * (N - 1) / 2))
pid=$(program_pid)
rss() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$pid/status"; }
before=$(rss)

ctl update --dry-run "$WORK/v1/bigstate" >"$WORK/out" 2>&1; rc=$?
cat "$WORK/out"
expect "dry run exit status" $rc 0
grep -q "(of which making memory ready [0-9.]*)" "$WORK/out" ||
	fail "the dry run did not report the memory made ready"
ctl --json history >"$WORK/hist"
field() { # field KEY: of the last transaction in the history
	tail -n 1 "$WORK/hist" | sed -n "s/.*\"$1\":\"\\{0,1\\}\\([0-9.]*\\).*/\\1/p" | tail -n 1
}
warmed=$(field state_warmed_bytes) warm=$(field warm) settle=$(field settle)
pause=$(field pause_estimate) total=$(field total)
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
rm -f "$WORK/state"
touch "$WORK/ask"
for _ in $(seq 300); do
	[ -s "$WORK/state" ] && [ ! -e "$WORK/ask" ] && break
	sleep 0.1
done
expect "sum after" "$(cat "$WORK/state")" $((N * (N - 1) / 2))
echo ok
