#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Checking HTTP client of webkv (t/idioms/webkv.sh).

wload.py PORT get PATH          print the body of GET PATH (status 200 only)
wload.py PORT fill|check N      PUT, or GET and compare, N keys f0..f(N-1)
wload.py PORT run THREADS       until SIGTERM: THREADS clients each PUT, GET
                                and DELETE keys of their own and check every
                                reply against a model of what they stored;
                                exit status 1 if any request failed.
"""
import http.client, random, signal, sys, threading

port = int(sys.argv[1])
mode = sys.argv[2]


def conn():
    return http.client.HTTPConnection("127.0.0.1", port, timeout=30)


def req(c, method, path, body=None):
    c.request(method, path, body=body)
    r = c.getresponse()
    return r.status, r.read().decode()


def fill_value(i):
    return "fill-%d-" % i + "x" * (i % 50)


if mode == "get":
    s, b = req(conn(), "GET", sys.argv[3])
    print(b)
    sys.exit(0 if s == 200 else 1)

if mode in ("fill", "check"):
    c = conn()
    bad = 0
    for i in range(int(sys.argv[3])):
        if mode == "fill":
            s, b = req(c, "PUT", "/k/f%d" % i, fill_value(i))
            ok = s == 200
        else:
            s, b = req(c, "GET", "/k/f%d" % i)
            ok = (s, b) == (200, fill_value(i))
        if not ok:
            bad += 1
            print("bad", i, s, b[:60])
    sys.exit(1 if bad else 0)

stop = threading.Event()
signal.signal(signal.SIGTERM, lambda *_: stop.set())
stats = {"req": 0, "fail": 0}
lock = threading.Lock()


def worker(t):
    model = {}
    c = conn()
    n = 0
    while not stop.is_set():
        k = "t%d-%d" % (t, random.randrange(40))
        op = random.random()
        try:
            if op < 0.4:
                v = "v%d-%d" % (t, random.randrange(10**6))
                s, b = req(c, "PUT", "/k/" + k, v)
                ok = s == 200
                model[k] = v
            elif op < 0.85:
                s, b = req(c, "GET", "/k/" + k)
                ok = (s, b) == ((200, model[k]) if k in model else (404, "none"))
            else:
                s, b = req(c, "DELETE", "/k/" + k)
                ok = s == (200 if k in model else 404)
                model.pop(k, None)
        except Exception as e:
            ok = False
            b = repr(e)
        with lock:
            stats["req"] += 1
            if not ok:
                stats["fail"] += 1
                if stats["fail"] < 10:
                    print("FAILED", k, op, b[:80], flush=True)
        n += 1
        if n % 50 == 0:  # new connections too, not only kept-alive ones
            c.close()
            c = conn()


threads = [threading.Thread(target=worker, args=(t,)) for t in range(int(sys.argv[3]))]
for t in threads:
    t.start()
print("wload: %d connections running" % len(threads), flush=True)
while not stop.wait(0.2):
    pass
for t in threads:
    t.join()
print("wload: %d requests, %d failed" % (stats["req"], stats["fail"]))
sys.exit(1 if stats["fail"] else 0)
