# SPDX-License-Identifier: GPL-3.0-or-later
#
# Shared by the idiom tests of the HTTP servers on evhttp (webkv.sh,
# pubweb.sh), which set SERVER and NUPDATES and may define the hook
# check_web_extra N (checks of their own after update N's): SERVER-1
# under the checking HTTP load of webkv/wload.py, updated 1 -> 2 and then
# 2 -> 2.  After every commit: release 2 answers /version with
# "SERVER 2", /verify says ok, the filled keys are all there; at the end
# no request of the load failed.

. "$(dirname "$0")/lib.sh"

command -v python3 >/dev/null || skip "python3 (the HTTP load) is not installed"
wload_py=$(dirname "$0")/webkv/wload.py
wload() { python3 "$wload_py" "$port" "$@"; }

command -v check_web_extra >/dev/null || check_web_extra() { :; }

verify_web() { # CONTEXT
	v=$(wload get /verify) || fail "$1: /verify got no reply"
	case $v in "ok "*) census=$v ;; *) fail "$1: $SERVER's state is inconsistent: $v" ;; esac
}

"$TTSTD" --socket "$sock" --log "$tmp/ttstd.log" -- \
	"$IDIOMS_DIR/$SERVER-1" "$tmp/port" 2>>"$tmp/server.err" &
ttstd_pid=$!
wait_for 30 test -s "$tmp/port" -a -S "$sock" ||
	fail "$SERVER-1 did not start within 30 s: $(cat "$tmp/server.err")"
port=$(cat "$tmp/port")
[ "$(wload get /version)" = "$SERVER 1" ] || fail "$SERVER-1 answers '$(wload get /version)' to /version"
wload fill 500 || fail "filling $SERVER-1 failed"
wload check 500 || fail "reading the filled keys of $SERVER-1 failed"

python3 "$wload_py" "$port" run 4 >"$tmp/load.out" 2>&1 &
load_pid=$!
wait_for 30 grep -q 'connections running' "$tmp/load.out" ||
	fail "the load did not start: $(cat "$tmp/load.out")"
sleep 1
verify_web "under load"
note "$SERVER-1 under load: $census"

for n in $(seq 1 $NUPDATES); do
	old_pid=$(served_pid)
	updates_tried=$((updates_tried + 1))
	"$TTST_CTL" --socket "$sock" update --timeout 30 "$IDIOMS_DIR/$SERVER-2" >"$tmp/update.out" 2>&1
	rc=$?
	note "update $n: exit status $rc; the report:"
	sed 's/^/  | /' "$tmp/update.out"
	[ $rc -eq 0 ] || fail "update $n did not commit (exit status $rc): $(grep -m1 -i 'rolled back\|error' "$tmp/update.out")"
	pid=$(served_pid)
	[ "$pid" != "$old_pid" ] || fail "update $n: the served pid did not change"
	[ "$(wload get /version)" = "$SERVER 2" ] || fail "update $n: not serving release 2: $(wload get /version)"
	kill -0 "$load_pid" 2>/dev/null || fail "update $n: the load stopped: $(cat "$tmp/load.out")"
	verify_web "after update $n"
	wload check 500 || fail "after update $n: filled keys lost or changed"
	check_web_extra "$n"
	note "after update $n: $census; descriptors $(ls "/proc/$pid/fd" | wc -l)"
done

kill -TERM "$load_pid"
wait "$load_pid"
rc=$?
load_pid=
cat "$tmp/load.out"
[ $rc -eq 0 ] || fail "client requests failed across the updates (load exit status $rc)"
verify_web "at the end"
"$TTST_CTL" --socket "$sock" history
note "$SERVER: $NUPDATES updates committed; $census"
exit 0
