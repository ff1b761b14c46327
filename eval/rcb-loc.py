#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""rcb-loc.py SRCDIR: lines of code by the role the code plays during an
update, counted over the source files (non-blank lines outside comments).
The reliable computing base (RCB) is the code that runs in the past
version P and in ttstd during an update: a fault there is not caught by
the transaction.  The transfer engine runs only in the future and reversed
versions, where every fault is caught (rollback), so it is not in the RCB.
Roles follow libstf's folders when it has them (runtime/, transfer/,
meta/), else the file lists below.  Prints "role files lines" rows."""
import os
import re
import sys

top = sys.argv[1]
# libstf files by role when libstf/ is flat (DESIGN.md: three roles).
RUNTIME = {"alloc", "update", "wait", "index", "ctl", "epoll", "signals", "respawn", "root", "stf"}
TRANSFER = {"xfer", "diff", "remote", "callbacks", "fault"}
META = {"meta", "stf-format"}


def loc(path):
    text = open(path, encoding="utf-8", errors="replace").read()
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    text = re.sub(r"//[^\n]*", "", text)
    return sum(1 for line in text.splitlines() if line.strip())


def sources(d):
    for root, _, files in os.walk(os.path.join(top, d)):
        for f in sorted(files):
            if f.endswith((".c", ".h", ".cc")):
                yield os.path.join(root, f)


roles = {}
for path in sources("libstf"):
    rel = os.path.relpath(path, os.path.join(top, "libstf"))
    base = os.path.splitext(os.path.basename(path))[0]
    folder = rel.split(os.sep)[0] if os.sep in rel else ""
    if folder in ("runtime", "transfer", "meta"):
        role = {"runtime": "libstf runtime (in P)", "transfer": "libstf transfer engine (in F, R)",
                "meta": "libstf metadata reader (in F, R)"}[folder]
    elif base in RUNTIME:
        role = "libstf runtime (in P)"
    elif base in TRANSFER:
        role = "libstf transfer engine (in F, R)"
    elif base in META:
        role = "libstf metadata reader (in F, R)"
    else:
        role = "libstf other"
    roles.setdefault(role, []).append(path)
roles["ttstd"] = list(sources("ttstd"))
roles["gcc plugin (build time)"] = list(sources("gcc-plugin"))
roles["tools (ttst-ctl, stf-meta)"] = [p for p in sources("tools")]
for role, paths in roles.items():
    print(f"{role}\t{len(paths)}\t{sum(loc(p) for p in paths)}\t"
          + " ".join(os.path.relpath(p, top) for p in paths))
