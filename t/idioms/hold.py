#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""A client of the idiom servers (t/idioms: bevref.sh, rawev.sh) that keeps
state in the server across its updates, then checks it.

hold.py PORT PAGES GO-FILE

If PAGES is not 0 (bevref), it first sets heldkey to 50,000 bytes, asks
for BIG PAGES (references to the server's static page in its output
buffer), GETs heldkey (a reference to the value, its entry kept alive by
the reference) and replaces heldkey's value (the entry it read now lives
on only through that reference).  In every case it then sends half a
request (SET partial-key), and reads nothing until GO-FILE exists.  Then
it completes the request, reads every reply and checks it, and GETs
partial-key.  Prints "hold ok" or what was wrong.
"""
import os, socket, sys, time

port, pages, go = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
PAGE = 65536
page = bytes(ord("a") + i * 7 % 26 for i in range(PAGE - 1)) + b"\n"
held = bytes(ord("A") + i % 26 for i in range(50000))

s = socket.create_connection(("127.0.0.1", port), timeout=60)
first, want = b"", b""
if pages:
    first = b"SET heldkey %s\nBIG %d\nGET heldkey\nSET heldkey replaced\n" % (held, pages)
    want = b"OK\n" + page * pages + b"VALUE " + held + b"\nOK\n"
s.sendall(first + b"SET partial-key par")
print("hold: waiting", flush=True)
while not os.path.exists(go):
    time.sleep(0.05)
s.sendall(b"tial-value\nGET partial-key\n")
want += b"OK\nVALUE partial-value\n"
got = b""
while len(got) < len(want):
    b = s.recv(1 << 20)
    if not b:
        break
    got += b
if got == want:
    print("hold ok")
    sys.exit(0)
bad = next((i for i in range(min(len(got), len(want))) if got[i] != want[i]), min(len(got), len(want)))
print("hold: %d of %d bytes, first difference at %d: %r" % (len(got), len(want), bad, got[bad:bad + 40]))
sys.exit(1)
