#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# The kernel holds pointers to the program's connection objects in epoll
# registrations (epoll_event.data.ptr).  A connection opened before the
# update is served after it by the new version through its own copy of
# the object (the per-connection request count goes on), and a dry run
# leaves the past version's registrations untouched.
. "${TSRC:-.}/lib.sh"
need_plugin
build v1/epollptr v1/epollptr.c

# client: one persistent connection; a request, then (once $WORK/go
# exists) another; replies in $WORK/r1 and $WORK/r2.
client() {
	python3 - "$SRV" "$WORK" <<'PY'
import os, socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile("rw")
def req(line):
    f.write(line + "\n"); f.flush()
    return f.readline().strip()
open(sys.argv[2] + "/r1", "w").write(req("add 7 77"))
for _ in range(1000):
    if os.path.exists(sys.argv[2] + "/go"):
        break
    time.sleep(0.01)
open(sys.argv[2] + "/r2", "w").write(req("get 7"))
PY
}

wait_file() {
	for _ in $(seq 300); do
		[ -s "$1" ] && return 0
		sleep 0.01
	done
	fail "no reply in $1"
}

start_ttstd --name epoll -- "$WORK/v1/epollptr" "$SRV"
wait_connected

# dry run with a connection open: the past version keeps serving it
client & cpid=$!
wait_file "$WORK/r1"
expect "first reply" "$(cat "$WORK/r1")" "ok 1"
ctl update --dry-run "$WORK/v1/epollptr" >"$WORK/out" 2>&1 || { cat "$WORK/out"; fail "dry run"; }
touch "$WORK/go"
wait "$cpid"
expect "reply after the dry run" "$(cat "$WORK/r2")" "77 2"

# real update with a connection open
rm -f "$WORK/go" "$WORK/r1" "$WORK/r2"
client & cpid=$!
wait_file "$WORK/r1"
ctl update "$WORK/v1/epollptr" >"$WORK/out" 2>&1; rc=$?
cat "$WORK/out"
expect "exit status" $rc 0
grep -q "epoll registrations" "$WORK/out" || fail "no epoll registration relocated"
touch "$WORK/go"
wait "$cpid"
expect "reply after the update" "$(cat "$WORK/r2")" "77 2"
echo ok
