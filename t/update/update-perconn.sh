#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# A thread-per-connection server (t/update/v1/perconn.c): the new and
# reversed versions start no connection thread themselves, libstf starts
# them again from their start routine.  Three clients keep their
# connections open across an update v1 -> v1 and v1 -> v2 (struct client
# changes); each connection's running sum and count (locals of its thread)
# and its number (in the heap) must go on exactly, a line sent half before
# and half after an update included, and new connections must work.
. "${TSRC:-.}/lib.sh"
need_plugin
command -v python3 >/dev/null || { echo "SKIP: no python3"; exit 77; }
build v1/perconn v1/perconn.c -pthread
build v2/perconn v1/perconn.c -pthread -DVERSION=2

start_ttstd --name perconn -- "$WORK/v1/perconn" "$SRV"
wait_connected

cat >"$WORK/clients.py" <<'PY'
import socket, subprocess, sys
srv, ctl, sock, v1, v2 = sys.argv[1:6]
def fail(msg):
    print("FAIL: " + msg); sys.exit(1)
def connect():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(srv)
    return [s, b""]
def line(c):
    while b"\n" not in c[1]:
        d = c[0].recv(4096)
        if not d:
            fail("connection closed by the server")
        c[1] += d
    l, c[1] = c[1].split(b"\n", 1)
    return l.decode()
want = {}  # connection number -> (sum, count)
def ask(c, k, n, version, send=None):
    c[0].sendall((send if send is not None else "%d\n" % n).encode())
    s, cnt = want.get(k, (0, 0))
    want[k] = (s + n, cnt + 1)
    exp = "v%d conn %d sum %d count %d" % ((version, k) + want[k])
    got = line(c)
    if got != exp:
        fail("connection %d: got '%s', want '%s'" % (k, got, exp))
def update(path):
    r = subprocess.run([ctl, "--socket", sock, "update", path],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    print(r.stdout, end="")
    if r.returncode != 0:
        fail("update to %s: exit status %d" % (path, r.returncode))
conns = {k: connect() for k in (1, 2, 3)}
for r in range(3):
    for k, c in conns.items():
        ask(c, k, 10 * k + r, 1)
# half a line stays in connection 2's buffer across the update
conns[2][0].sendall(b"10")
update(v1)
ask(conns[2], 2, 1007, 1, send="07\n")
for k, c in conns.items():
    ask(c, k, 100 + k, 1)
conns[4] = connect()
ask(conns[4], 4, 4, 1)
update(v2)
for r in range(2):
    for k, c in conns.items():
        ask(c, k, 1000 * k + r, 2)
conns[5] = connect()
ask(conns[5], 5, 5, 2)
ask(conns[1], 1, 1, 2)
print("sums and counts continued on %d connections: ok" % len(conns))
PY
python3 "$WORK/clients.py" "$SRV" "$TTST_CTL" "$SOCK" "$WORK/v1/perconn" "$WORK/v2/perconn" ||
	fail "the connections did not survive the updates"
