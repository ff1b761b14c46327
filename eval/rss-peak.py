#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""rss-peak.py PID [READY-FILE]: sample the resident memory of PID and all its
descendants every 2 ms until SIGTERM (READY-FILE is created once it may
be sent), then print the peak of the sum (KiB)
and the number of processes at that moment.  make eval's "peak RSS of the
whole tree during an update" (ttstd, past, future and reversed versions)."""
import os
import signal
import sys
import time

root = int(sys.argv[1])
peak = (0, 0)
running = True


def stop(*_):
    global running
    running = False


signal.signal(signal.SIGTERM, stop)
if len(sys.argv) > 2:  # tell the caller the handler is in place
    open(sys.argv[2], "w").close()
page_kib = os.sysconf("SC_PAGE_SIZE") // 1024
while running:
    children = {}
    rss = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{d}/statm") as f:
                rss[int(d)] = int(f.read().split()[1]) * page_kib
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(int(fields[1]), []).append(int(d))
    tree, todo = [], [root]
    while todo:
        p = todo.pop()
        tree.append(p)
        todo.extend(children.get(p, []))
    total = sum(rss.get(p, 0) for p in tree)
    if total > peak[0]:
        peak = (total, len(tree))
    time.sleep(0.002)
print(peak[0], peak[1])
