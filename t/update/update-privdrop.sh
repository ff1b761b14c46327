#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# A daemon started as root that drops privileges once its socket is bound
# (setuid nobody: it can no longer reach ttstd's root-only socket, and it
# is no longer dumpable) is updated all the same, twice: F and R get their
# control connection from ttstd through P instead of connecting, and P is
# made readable for the update only (not dumpable again after a rollback).
. "${TSRC:-.}/lib.sh"
need_plugin
if [ "$(id -u)" != 0 ]; then
	echo "SKIP: needs root to drop privileges"
	exit 77
fi
build v1/counter-drop v1/counter.c -DDROP_PRIVILEGES
build v2/counter-drop v2/counter.c
# nobody must be able to execute the new versions and load libstf
chmod 755 "$WORK" "$WORK/v1" "$WORK/v2"
if ! setpriv --reuid=65534 --regid=65534 --clear-groups \
	sh -c "test -x '$WORK/v2/counter-drop' && test -r '$LIBSTF_DIR/libstf.so'" 2>/dev/null; then
	echo "SKIP: user nobody cannot reach the build tree ($LIBSTF_DIR)"
	exit 77
fi

start_ttstd --name privdrop -- "$WORK/v1/counter-drop" "$SRV"
wait_connected
pid1=$(program_pid)
expect "add" "$(q "add 5 55")" ok
# /proc/PID of a process that is not dumpable belongs to root
dumpable() { [ "$(stat -c %U /proc/"$1"/status)" != root ]; }
expect "user of the program" "$(ps -o user= -p "$pid1")" nobody
dumpable "$pid1" && fail "still dumpable after dropping privileges"

# a rollback first: P is not left dumpable
ctl update --fault crash@forward "$WORK/v2/counter-drop" >"$WORK/out0" 2>&1
expect "pid after the rolled back update" "$(program_pid)" "$pid1"
grep -q "^rolled back: .*SIGSEGV" "$WORK/out0" || fail "not rolled back by the crash: $(cat "$WORK/out0")"
dumpable "$pid1" && fail "left dumpable after the rollback"
expect "get after the rollback" "$(q "get 5")" 55

ctl update "$WORK/v2/counter-drop" >"$WORK/out" 2>&1; rc=$?
cat "$WORK/out"
expect "exit status of the update of a program running as nobody" $rc 0
pid2=$(program_pid)
[ "$pid2" != "$pid1" ] || fail "not replaced"
expect "user of the new version" "$(ps -o user= -p "$pid2")" nobody
expect "version" "$(q version)" 2
expect "get after the update" "$(q "get 5")" 55
ctl update "$WORK/v2/counter-drop" >"$WORK/out2" 2>&1 || fail "second update: $(cat "$WORK/out2")"
expect "get after the second update" "$(q "get 5")" 55
echo ok
