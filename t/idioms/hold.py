#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""A client of the idiom servers (t/idioms: bevref.sh, rawev.sh) that keeps
state in the server across its updates: it sends half a request (SET
partial-key), and first, if PAGES is not 0, asks for BIG PAGES (bevref:
references to the server's static page in its output buffer), then reads
nothing until GO-FILE exists.  Then it checks every page, completes the
request, reads its reply and GETs the key.  Prints "hold ok" or what was
wrong.

hold.py PORT PAGES GO-FILE
"""
import os, socket, sys, time

port, pages, go = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
PAGE = 65536
page = bytes(ord("a") + i * 7 % 26 for i in range(PAGE - 1)) + b"\n"

s = socket.create_connection(("127.0.0.1", port), timeout=60)
s.sendall((b"BIG %d\n" % pages if pages else b"") + b"SET partial-key par")
print("hold: waiting", flush=True)
while not os.path.exists(go):
    time.sleep(0.05)
s.sendall(b"tial-value\nGET partial-key\n")
want = page * pages + b"OK\nVALUE partial-value\n"
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
