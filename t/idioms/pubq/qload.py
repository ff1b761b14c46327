#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""qload - the checking publish/subscribe load of t/idioms/pubq.sh.

  qload.py PORT

Holds one publisher and three subscriber connections open: subscriber 1
takes topic 1, subscriber 2 topic 2, subscriber 3 topics 1, 2 and 3.  Until
SIGTERM it publishes bursts of numbered messages to a random topic and
polls a random number of them from each subscriber, so every queue holds
messages (shared by two queues for topics 1 and 2) at any moment.  Every
reply is checked against a model of each queue: PUB must reach exactly the
subscribers of its topic, POLL must give the oldest message not yet taken
(or EMPTY when there is none).  On SIGTERM it drains every queue, prints
"qload: N requests, M failed" and exits 0 when nothing failed.
"""
import random
import signal
import socket
import sys
import time
from collections import deque

TOPICS = {1: (0, 2), 2: (1, 2), 3: (2,)}   # topic -> its subscribers
stop = False
requests = failures = 0


def on_term(signum, frame):
    global stop
    stop = True


class Conn:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def request(self, line):
        global requests
        requests += 1
        self.sock.sendall(line.encode() + b"\n")
        while b"\n" not in self.buf:
            data = self.sock.recv(4096)
            if not data:
                raise OSError("connection closed by the server")
            self.buf += data
        reply, self.buf = self.buf.split(b"\n", 1)
        return reply.decode()


def expect(conn, line, want):
    global failures
    got = conn.request(line)
    if got != want:
        failures += 1
        if failures <= 20:
            print(f"qload: FAILED: '{line}': got '{got}', expected '{want}'", file=sys.stderr)


def poll(sub, model, count):
    for _ in range(count):
        want = "MSG %d %s" % model.popleft() if model else "EMPTY"
        expect(sub, "POLL", want)


def main():
    port = int(sys.argv[1])
    signal.signal(signal.SIGTERM, on_term)
    rng = random.Random(1101)
    pub = Conn(port)
    subs = [Conn(port) for _ in range(3)]
    models = [deque() for _ in subs]
    for topic, who in TOPICS.items():
        for s in who:
            expect(subs[s], "SUB %d" % topic, "OK")
    print("qload: 4 connections running", flush=True)
    seq = 0
    try:
        while not stop:
            topic = rng.choice(list(TOPICS))
            for _ in range(rng.randint(1, 8)):
                seq += 1
                text = "m%d-%d" % (topic, seq)
                expect(pub, "PUB %d %s" % (topic, text), "OK %d" % len(TOPICS[topic]))
                for s in TOPICS[topic]:
                    models[s].append((topic, text))
            for s, sub in enumerate(subs):
                n = len(models[s]) if len(models[s]) > 60 else rng.randint(0, 6)
                poll(sub, models[s], n)
            time.sleep(0.002)
        for s, sub in enumerate(subs):
            poll(sub, models[s], len(models[s]) + 1)
    except OSError as e:
        global failures
        failures += 1
        print(f"qload: FAILED: {e}", file=sys.stderr)
    print(f"qload: {requests} requests, {failures} failed", flush=True)
    return failures != 0


if __name__ == "__main__":
    sys.exit(main())
