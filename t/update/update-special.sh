#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# A FIFO, a directory or another special file as the new version is
# refused at once with exit status 2 (ttstd once blocked for good opening
# a FIFO): by ttst-ctl, and by ttstd for a client that skips ttst-ctl's
# check.  ttstd answers on, the program serves on, nothing changed.
. "${TSRC:-.}/lib.sh"
need_plugin
build v1/counter v1/counter.c

start_ttstd --name special -- "$WORK/v1/counter" "$SRV"
wait_connected
pid=$(program_pid)
expect "add" "$(q "add 1 11")" ok
mkfifo "$WORK/fifo" && chmod 755 "$WORK/fifo" || fail "mkfifo"
mkdir "$WORK/dir"

for target in "$WORK/fifo" "$WORK/dir"; do
	timeout 10 "$TTST_CTL" --socket "$SOCK" update "$target" >"$WORK/out" 2>&1; rc=$?
	cat "$WORK/out"
	expect "ttst-ctl exit status for $target" $rc 2
	grep -q "is not a regular file" "$WORK/out" || fail "no reason for $target"
done

# straight to ttstd, as a client without ttst-ctl's checks would
r=$(timeout 10 "$TQ" raw "$SOCK" "cmd=update new=$WORK/fifo"); rc=$?
echo "$r"
expect "tq exit status (a reply came)" $rc 0
case $r in
*"ok=0"*"is%20not%20a%20regular%20file%20(a%20FIFO)"*) ;;
*) fail "ttstd's reply does not refuse the FIFO: $r";;
esac
timeout 5 "$TTST_CTL" --socket "$SOCK" status >/dev/null || fail "ttstd no longer answers"
expect "pid" "$(program_pid)" "$pid"
expect "get" "$(q "get 1")" 11
ctl history | grep -q "no transactions yet" || fail "a refused update was recorded as a transaction"
echo ok
