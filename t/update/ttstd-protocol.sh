#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# ttstd's control socket under bad input: malformed, oversized and unknown
# requests all get error replies and ttstd keeps working; clients of
# another uid are refused (by the socket's mode and by SO_PEERCRED);
# status and history answer; ttstd exits with the program's status.
. "${TSRC:-.}/lib.sh"

start_ttstd --name proto -- sleep 30
pid=$(program_pid)
[ -n "$pid" ] && kill -0 "$pid" || fail "no program pid in status"

# bad requests
"$TQ" fuzz "$SOCK" 400 7 || fail "a bad request did not get an error reply"
# the program socket: bad greetings, and a process ttstd did not start
"$TQ" fuzz "$SOCK.prog" 100 8 || fail "a bad greeting did not get an error reply"
r=$("$TQ" raw "$SOCK.prog" "hello=1 role=past")
case $r in "ok=0 error=ttstd%20expects%20no%20past%20process%20with%20pid"*) ;;
*) fail "a stranger was accepted as the program: $r";; esac
grep -q "refused program connection from pid [0-9]* claiming role past" "$WORK/ttstd.log" ||
	fail "the stranger is not logged"
r=$("$TQ" raw "$SOCK" "cmd=nope")
case $r in "ok=0 error=unknown%20command%20'nope'"*) ;; *) fail "unknown command: $r";; esac
ctl update /bin/true >/dev/null 2>"$WORK/err"; rc=$?
expect "update of an unsupervisable program exits" $rc 2
grep -q "not connected to ttstd" "$WORK/err" || fail "no reason: $(cat "$WORK/err")"
ctl update "$WORK/nonexistent" 2>/dev/null; expect "update to a missing binary" $? 2
ctl frobnicate 2>/dev/null; expect "unknown ttst-ctl command" $? 2
ctl 2>/dev/null; expect "no command" $? 2

# still serving, same program
expect "pid after the fuzz" "$(program_pid)" "$pid"
ctl status | grep -q "^binary: */.*sleep$" || fail "status binary: $(ctl status)"
ctl status | grep -q "^args: *30$" || fail "status args: $(ctl status)"
ctl --json status | grep -q '"args":\["30"\]' || fail "json status: $(ctl --json status)"
expect "history" "$(ctl history)" "no transactions yet"
expect "json history" "$(ctl --json history)" "[]"

# socket and directory modes
[ "$(stat -c %a "$SOCK")" = 600 ] || fail "socket mode $(stat -c %a "$SOCK")"

# another uid
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	nobody="setpriv --reuid=65534 --regid=65534 --clear-groups"
	chmod 711 "$WORK"
	$nobody "$TTST_CTL" --socket "$SOCK" status >/dev/null 2>"$WORK/err"
	expect "other uid, socket mode 0600" $? 2
	grep -q "Permission denied" "$WORK/err" || fail "other uid: $(cat "$WORK/err")"
	# even when the socket is opened up, SO_PEERCRED refuses the peer
	chmod 666 "$SOCK"
	$nobody "$TTST_CTL" --socket "$SOCK" status >/dev/null 2>"$WORK/err"
	expect "other uid, socket mode 0666" $? 2
	grep -q "permission denied: .*not uid 65534" "$WORK/err" || fail "SO_PEERCRED: $(cat "$WORK/err")"
	$nobody "$TTST_CTL" --socket "$SOCK" update /bin/true >/dev/null 2>&1
	expect "other uid update" $? 2
	chmod 600 "$SOCK"
	grep -q "refused client .* of uid 65534" "$WORK/ttstd.log" || fail "refusal not logged"
else
	echo "note: not root, the other-uid checks are skipped"
fi
expect "pid at the end" "$(program_pid)" "$pid"

# a second ttstd on the same socket is refused
"$TTSTD" --socket "$SOCK" -- true 2>"$WORK/err"
expect "second ttstd" $? 125
grep -q "in use by another ttstd" "$WORK/err" || fail "second ttstd: $(cat "$WORK/err")"

# the default socket: $XDG_RUNTIME_DIR/ttst/NAME.sock in a private directory,
# found by ttst-ctl -n NAME
mkdir "$WORK/xdg"
XDG_RUNTIME_DIR=$WORK/xdg "$TTSTD" --name xdgtest --log "$WORK/xdg.log" -- sleep 30 &
xpid=$!
for _ in $(seq 100); do
	[ -S "$WORK/xdg/ttst/xdgtest.sock" ] && break
	sleep 0.02
done
expect "runtime directory mode" "$(stat -c %a "$WORK/xdg/ttst")" 700
XDG_RUNTIME_DIR=$WORK/xdg "$TTST_CTL" -n xdgtest status | grep -q "^name: *xdgtest$" ||
	fail "ttst-ctl -n did not find the default socket"
kill "$xpid"
wait "$xpid"
# a runtime directory others can enter is refused
chmod 755 "$WORK/xdg/ttst"
XDG_RUNTIME_DIR=$WORK/xdg "$TTSTD" --name xdgtest -- true 2>"$WORK/err"
expect "exit status with an open runtime directory" $? 125
grep -q "mode 0700" "$WORK/err" || fail "open runtime directory: $(cat "$WORK/err")"
"$TTSTD" --name "../evil" -- true 2>/dev/null
expect "bad name" $? 2

# ttstd exits with the program's status when it ends
kill "$pid"
wait "$TTSTD_PID"; rc=$?
TTSTD_PID=
expect "ttstd exit status after SIGTERM of the program" $rc 143
[ ! -e "$SOCK" ] || fail "socket left behind"
"$TTSTD" --socket "$SOCK" --log "$WORK/ttstd2.log" -- sh -c 'exit 3'
expect "ttstd exit status" $? 3
echo "ok"
