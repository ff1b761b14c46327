#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""unit-exec.py UNIT-FILE INSTANCE KEY: run the KEY= command line
(ExecStart, ExecReload) of a systemd template unit as systemd would for
INSTANCE, where systemd itself cannot run (CI containers): %i and %% are
expanded, Environment= then EnvironmentFile= (which overrides it, as in
systemd) set the variables, "${VAR}" as a word gives one argument and
"$VAR" as a word the value split at blanks.  Exits with the command's
status.  Only the subset of systemd.service(5) the ttst unit uses."""
import os
import re
import shlex
import sys

unit_path, instance, key = sys.argv[1:4]
lines = open(unit_path).read().splitlines()


def spec(s):
    return re.sub(r"%(.)", lambda m: {"i": instance, "%": "%"}[m.group(1)], s)


def values(name):
    return [spec(l.split("=", 1)[1]) for l in lines if l.startswith(name + "=")]


env = dict(os.environ)
for assignment in values("Environment"):
    for word in shlex.split(assignment):
        k, v = word.split("=", 1)
        env[k] = v
for path in values("EnvironmentFile"):
    for l in open(path.lstrip("-")).read().splitlines():
        l = l.strip()
        if l and not l.startswith("#") and "=" in l:
            k, v = l.split("=", 1)
            env[k.strip()] = " ".join(shlex.split(v))

cmd = values(key)
if len(cmd) != 1:
    sys.exit(f"unit-exec: {unit_path} has {len(cmd)} {key}= lines, expected 1")
argv = []
for word in shlex.split(cmd[0]):
    m = re.fullmatch(r"\$\{(\w+)\}|\$(\w+)", word)
    if m and m.group(1):
        argv.append(env.get(m.group(1), ""))
    elif m:
        argv.extend(env.get(m.group(2), "").split())
    else:
        argv.append(word)
os.execve(argv[0], argv, env)
