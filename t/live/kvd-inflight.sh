#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Connections in the middle of a request survive live updates: one client
# has sent half a request line (it sits in kvd's input buffer), another has
# pipelined thousands of GETs without reading the replies (kvd holds
# pending output and waits for the socket to drain: CONN_WRITING, whose
# enumerator value moves in 1.2).  kvd goes 1.0 -> 1.1 -> 1.2 while they
# wait; then both finish and every reply must be right.

. "$(dirname "$0")/lib.sh"

# More reply bytes than the largest kernel send buffer plus kvd's own.
wmem_max=$(awk '{ print $3 }' /proc/sys/net/ipv4/tcp_wmem 2>/dev/null)
requests=$(( (${wmem_max:-4194304} + 4194304) / 490 ))
start_kvd 1.0 --timeout 30
big=$(printf '%0480d' 0 | tr 0 x)
kvc "SET big $big" >/dev/null

# Client A: half a request.
mkfifo "$tmp/a.in" "$tmp/b.in"
"$KVD_DIR/kvc" --port "$port" --raw <"$tmp/a.in" >"$tmp/a.out" 2>"$tmp/a.err" &
a_pid=$!
exec 3>"$tmp/a.in"
printf 'SET half the first ha' >&3

# Client B: many pipelined requests, replies left unread for now.
"$KVD_DIR/kvc" --port "$port" --raw <"$tmp/b.in" >"$tmp/b.out" 2>"$tmp/b.err" &
b_pid=$!
exec 4>"$tmp/b.in"
i=0
while [ $i -lt $requests ]; do
	echo "GET big"
	i=$((i + 1))
done >&4
sleep 0.5   # let kvd fill its buffers
gets=$(stats_field gets)
[ "$gets" -lt $requests ] ||
	fail "kvd answered all $requests GETs: nothing is pending in it"
note "kvd answered $gets of $requests pipelined GETs, the rest waits in its buffers"

expect_update 0 1.1
note "1.0 -> 1.1 committed with requests in flight"
printf 'lf, ' >&3
expect_update 0 1.2
note "1.1 -> 1.2 committed with requests in flight"
printf 'then the rest\nGET half\n' >&3

exec 3>&- 4>&-
wait $a_pid || { cat "$tmp/a.err"; fail "client A failed"; }
wait $b_pid || { cat "$tmp/b.err"; fail "client B failed"; }
printf 'OK\nVALUE the first half, then the rest\n' | cmp -s - "$tmp/a.out" ||
	{ cat "$tmp/a.out"; fail "client A: wrong replies to its split request"; }
n=$(grep -cx "VALUE $big" "$tmp/b.out")
[ "$n" -eq $requests ] && [ "$(wc -l <"$tmp/b.out")" -eq $requests ] ||
	fail "client B: $n right replies of $(wc -l <"$tmp/b.out"), expected $requests"
[ "$(stats_field version)" = 1.2 ] || fail "not serving 1.2"
verify_ok "after the updates"
note "both clients got every reply right across two updates"
exit 0
