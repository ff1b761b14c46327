#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# ttstd out of file descriptors (a limit of 20, more clients than it can
# open) neither spins nor hangs: a request gets "out of file
# descriptors", ttstd stays idle, and serves again once descriptors free
# up; the program serves throughout and can still be updated.
. "${TSRC:-.}/lib.sh"
need_plugin
build v1/counter v1/counter.c
build v2/counter v2/counter.c
printf '#!/bin/sh\nulimit -n 20 || exit 1\nexec "%s" "$@"\n' "$TTSTD" >"$WORK/ttstd-limited"
chmod 755 "$WORK/ttstd-limited"
TTSTD=$WORK/ttstd-limited

start_ttstd --name emfile -- "$WORK/v1/counter" "$SRV"
wait_connected
expect "add" "$(q "add 1 11")" ok

# ticks of CPU time (user + system) ttstd has used
cpu() { awk '{ print $14 + $15 }' "/proc/$TTSTD_PID/stat"; }

"$TQ" hold "$SOCK" 16 7 >"$WORK/hold" &
holder=$!
sleep 1
before=$(cpu)
sleep 2
used=$(( $(cpu) - before ))
echo "ttstd used $used ticks in ~2 s while out of descriptors"
[ "$used" -le 40 ] || fail "ttstd spins while out of descriptors ($used ticks)"
timeout 20 "$TTST_CTL" --socket "$SOCK" status >"$WORK/out" 2>&1; rc=$?
cat "$WORK/out"
expect "exit status of a request while out of descriptors" $rc 2
grep -q "out of file descriptors" "$WORK/out" || fail "the refusal does not say why"
expect "get while ttstd is out of descriptors" "$(q "get 1")" 11
wait $holder
cat "$WORK/hold"

ctl status >/dev/null || fail "ttstd does not answer once descriptors are free"
ctl update "$WORK/v2/counter" >"$WORK/out" 2>&1 || { cat "$WORK/out"; fail "no update after recovery"; }
expect "version after" "$(q version)" 2
expect "get after" "$(q "get 1")" 11
echo ok
