#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# A server whose requests are served by a thread pool (t/update/v1/pool.c):
# idle workers block in pthread_cond_wait, _timedwait and _clockwait, and
# have no update point of their own.  The waits are wait points: quiescence
# wakes the workers with a broadcast, each parks there, and its locals -
# including the wait's condition variable and mutex, which move inside the
# reordered struct pool of version 2 - go to the new worker of the same
# creation order.  Every request must be served, before, during and after
# the updates, by workers that kept their counts.
. "${TSRC:-.}/lib.sh"
need_plugin
build v1/pool v1/pool.c -pthread
build v2/pool v1/pool.c -pthread -DVERSION=2

start_ttstd --name pool -- "$WORK/v1/pool" "$SRV"
wait_connected
for k in 1 2 3 4 5 6; do
	expect "add $k" "$(q "add $k $((k * 100 + 1))")" ok
done
set -- $(q served)
before=$(($1 + $2 + $3))
# 6 adds and this request
expect "requests served by the workers before" "$before" 7

ctl update --timeout 5 "$WORK/v2/pool" >"$WORK/out" 2>&1; rc=$?
cat "$WORK/out"
expect "exit status of the update with idle workers" $rc 0
locals=$(sed -n 's/^forward: .* \([0-9]*\) locals.*/\1/p' "$WORK/out")
# main: argc, argv, threads, lfd; each worker: arg, p, id, served, until, req, out, (cond), (mutex)
[ "${locals:-0}" -ge 31 ] || fail "not every waiting worker's locals were transferred ($locals)"
expect "version after" "$(q version)" 2
for k in 1 2 3 4 5 6; do
	expect "get $k after" "$(q "get $k")" $((k * 100 + 1))
done
# 7 before, then 1 version, 6 gets and this request
set -- $(q served)
expect "requests served by the workers after" $(($1 + $2 + $3)) 15

# A worker blocked reading a slow client's request is not interrupted (it
# has no update point: an EINTR would make it answer "error"); the update
# waits until it has served the request and is back in its wait.
python3 - "$SRV" >"$WORK/slow.out" 2>&1 <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
time.sleep(1.0)
s.sendall(b"add 77 7700")
s.shutdown(socket.SHUT_WR)
print(s.recv(100).decode().strip())
PY
slow=$!
sleep 0.3
ctl update --timeout 5 "$WORK/v2/pool" >"$WORK/out1" 2>&1; rc=$?
cat "$WORK/out1"
wait $slow
expect "exit status of the update with a worker reading a slow request" $rc 0
expect "reply to the slow request" "$(cat "$WORK/slow.out")" ok
expect "slow request stored" "$(q "get 77")" 7700

# Again under client load: every request of the clients gets its answer.
: >"$WORK/busy"
clients=
for c in 1 2; do
	(
		i=0
		while [ -e "$WORK/busy" ]; do
			i=$((i + 1))
			r=$("$TQ" line "$SRV" "add $((c * 100000 + i)) $i")
			[ "$r" = ok ] || { echo "client $c request $i: '$r'" >"$WORK/client$c.err"; exit 1; }
		done
		echo $i >"$WORK/client$c.n"
	) &
	clients="$clients $!"
done
sleep 0.3
ctl update --timeout 5 "$WORK/v2/pool" >"$WORK/out2" 2>&1; rc=$?
cat "$WORK/out2"
sleep 0.3
rm -f "$WORK/busy"
for p in $clients; do
	wait "$p" || fail "a client lost a request: $(cat "$WORK"/client*.err 2>/dev/null)"
done
expect "exit status of the update under load" $rc 0
n1=$(cat "$WORK/client1.n") n2=$(cat "$WORK/client2.n")
expect "last value of client 1" "$(q "get $((100000 + n1))")" "$n1"
expect "last value of client 2" "$(q "get $((200000 + n2))")" "$n2"
set -- $(q served)
# 15 before, the slow add, its get, the clients' adds, 2 gets and this request
expect "requests served by the workers in all" $(($1 + $2 + $3)) $((15 + 2 + n1 + n2 + 2 + 1))
echo ok
