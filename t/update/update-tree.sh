#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# A pre-forked master/worker server (t/update/v1/prefork.c: guarded init
# binds, creates a MAP_SHARED|MAP_ANONYMOUS counter and maps a scoreboard
# file MAP_SHARED, the master forks 3 workers at startup, keeps their pids
# in a table and waits in sigsuspend; each worker maps shared memory and
# attaches a SysV segment of its own after its fork; the workers take turns
# at accept() under a mutex in the shared mapping, as Apache's do)
# is updated as one process tree, v1 -> v2 (the workers' state changes
# type, and so does the master's), under load, right after a worker was
# restarted: no request fails, every process runs v2, each worker
# keeps its own count and sum (and the count in its own shared mapping
# and SysV segment),
# the shared request counter and the scoreboard file go on (mapped at the
# same address in the new master), the
# master's table names the new workers (pid_t values mapped), and no v1
# process is left.  A new version whose worker crashes in its startup,
# and an injected crash in the backward transfer, roll the whole tree back:
# v1 serves on, with the same pids, and no process of the failed trees is
# left; so does a new version that forks 2 workers for 3.  SIGTERM to
# ttstd stops the tree.
. "${TSRC:-.}/lib.sh"
need_plugin
command -v python3 >/dev/null || { echo "SKIP: no python3"; exit 77; }
[ "$(id -u)" = 0 ] || { echo "SKIP: shared mappings are handed on through /proc/PID/map_files (root only)"; exit 77; }
build v1/prefork v1/prefork.c -DACCEPT_MUTEX -pthread
build v2/prefork v1/prefork.c -DVERSION=2 -DACCEPT_MUTEX -pthread
build v2/crash v1/prefork.c -DVERSION=2 -DCRASH_WORKER=1 -DACCEPT_MUTEX -pthread
build v2/two v1/prefork.c -DVERSION=2 -DNWORKERS=2 -DACCEPT_MUTEX -pthread

start_ttstd --name prefork -- "$WORK/v1/prefork" "$SRV" "$WORK/board"
wait_connected
for _ in $(seq 100); do
	[ "$(ctl status | grep -c '^  .* child ')" = 3 ] && break
	sleep 0.05
done
ctl status
[ "$(ctl status | grep -c '^  .* child ')" = 3 ] || fail "status does not list the 3 workers"

# tree_pids: the master and its children, from /proc
tree_pids() {
	m=$(program_pid)
	echo "$m $(cat /proc/"$m"/task/*/children)"
}
leftovers() {  # processes of a binary still running
	pgrep -f "^$1 " | tr '\n' ' '
}

cat >"$WORK/load.py" <<'PY'
import json, os, socket, subprocess, sys, threading, time
srv, ctl, sock, statefile = sys.argv[1:5]
updates = sys.argv[5:]
def fail(msg):
    print("FAIL: " + msg); sys.stdout.flush(); sys.exit(1)
def ask(text):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(30)
    s.connect(srv)
    s.sendall(text.encode())
    out = b""
    while not out.endswith(b"\n"):
        d = s.recv(4096)
        if not d:
            fail("request %r: connection closed without a reply" % text)
        out += d
    s.close()
    return out.decode().split()
want = {}       # worker -> (served, sum)
requests = 0    # the shared counter
numbers = 0     # numbers served: the scoreboard file's count
if os.path.exists(statefile):  # what the earlier runs sent
    st = json.load(open(statefile))
    want = {int(k): tuple(v) for k, v in st["want"].items()}
    requests = st["requests"]
    numbers = st["numbers"]
lock = threading.Lock()
def one(n, version=None):
    global requests, numbers
    with lock:
        r = ask("%d\n" % n)
        # v1 worker 0 pid 123 served 1 sum 1 requests 1 own 1 board 1 seg 1
        v, k, served, total, reqs = r[0], int(r[2]), int(r[6]), int(r[8]), int(r[10])
        mine, board, seg = int(r[12]), int(r[14]), int(r[16])
        s, c = want.get(k, (0, 0))
        if served != s + 1 or total != c + n:
            fail("worker %d: served %d sum %d, want %d and %d" % (k, served, total, s + 1, c + n))
        if mine != served or seg != served:
            fail("worker %d: its own shared mapping counts %d, its SysV segment %d, want %d" %
                 (k, mine, seg, served))
        want[k] = (served, total)
        numbers += 1
        if board != numbers:
            fail("the scoreboard file counts %d, want %d" % (board, numbers))
        requests += 1
        if reqs != requests:
            fail("shared counter %d, want %d" % (reqs, requests))
        if version and v != version:
            fail("reply from %s, want %s" % (v, version))
        return v
for i in range(1, 31):
    one(i)
stop = False
errors = []
def load():
    i = 100
    while not stop:
        try:
            one(i)
        except SystemExit:
            errors.append("load")
            return
        i += 1
t = threading.Thread(target=load)
t.start()
outcome = []
for path in updates:
    r = subprocess.run([ctl, "--socket", sock, "update", path],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    print(r.stdout, end="")
    outcome.append(r.returncode)
stop = True
t.join()
if errors:
    fail("a request failed under load")
versions = {one(1000 + i) for i in range(12)}
print("requests %d, workers %s, versions %s, update exit statuses %s" %
      (requests, sorted(want), sorted(versions), outcome))
if len(want) != 3:
    fail("replies came from workers %s" % sorted(want))
json.dump({"want": want, "requests": requests, "numbers": numbers}, open(statefile, "w"))
print("VERSIONS " + " ".join(sorted(versions)))
print("EXITS " + " ".join(map(str, outcome)))
PY

# 1. a worker of the new version crashes, then a crash in the backward
#    transfer: both roll the whole tree back, under load
before=$(tree_pids)
python3 "$WORK/load.py" "$SRV" "$TTST_CTL" "$SOCK" "$WORK/state.json" "$WORK/v2/crash" >"$WORK/crash.out" 2>&1 ||
	{ cat "$WORK/crash.out"; fail "load across the failed update"; }
cat "$WORK/crash.out"
grep -q "^EXITS 1$" "$WORK/crash.out" || fail "the update with a crashing worker did not roll back"
grep -q "^rolled back: .*future version's child 2 of pid [0-9]* (pid [0-9]*) was killed by SIGABRT" "$WORK/crash.out" ||
	fail "the reason does not name the crashed worker"
grep -q "^VERSIONS v1$" "$WORK/crash.out" || fail "v1 does not serve on after the rollback"
expect "the tree after the rollback" "$(tree_pids)" "$before"
sleep 0.3
expect "processes of the failed new tree left" "$(leftovers "$WORK/v2/crash")" ""
out=$(ctl update --fault crash@backward "$WORK/v2/prefork") && fail "an injected crash committed: $out"
echo "$out" | grep -q "^rolled back: injected fault crash@backward" || fail "fault: $out"
expect "the tree after the injected fault" "$(tree_pids)" "$before"
sleep 0.3
expect "processes of the faulted trees left" "$(leftovers "$WORK/v2/prefork")" ""

# a new version of another shape (2 workers for 3) cannot be paired
out=$(ctl update "$WORK/v2/two") && fail "a tree of another shape committed: $out"
echo "$out" | grep -q "^rolled back: .*forked 2 processes where the running version's tree has 3" ||
	fail "shape: $out"
expect "the tree after the shape mismatch" "$(tree_pids)" "$before"
sleep 0.3
expect "processes of the tree of another shape left" "$(leftovers "$WORK/v2/two")" ""

# a worker restarted by the v1 master (its state starts over): the master's
# count of workers started (its own state, whose type v2 changes) is 4
victim=$(q pids | sed 's/.* workers //' | cut -d' ' -f2)
kill -KILL "$victim"
for _ in $(seq 50); do
	set -- $(tree_pids)
	[ $# = 4 ] && ! echo " $* " | grep -q " $victim " && break
	sleep 0.1
done
out=$(q pids)
echo "$out" | grep -q "restarts 1 started 4$" || fail "the v1 master did not restart worker 1: $out"
python3 -c 'import json, sys
st = json.load(open(sys.argv[1]))
st["want"].pop("1", None)   # its state started over
st["requests"] += 2         # the two "pids" requests
json.dump(st, open(sys.argv[1], "w"))' "$WORK/state.json"

# 2. v1 -> v2 under load
board_before=$(grep " $WORK/board\$" /proc/"$(program_pid)"/maps | cut -d' ' -f1,2)
[ -n "$board_before" ] || fail "the scoreboard file is not mapped"
python3 "$WORK/load.py" "$SRV" "$TTST_CTL" "$SOCK" "$WORK/state.json" "$WORK/v2/prefork" >"$WORK/update.out" 2>&1 ||
	{ cat "$WORK/update.out"; fail "load across the update"; }
cat "$WORK/update.out"
grep -q "^EXITS 0$" "$WORK/update.out" || fail "the update did not commit"
grep -q "^VERSIONS v2$" "$WORK/update.out" || fail "not every worker runs v2"
sleep 0.3
expect "v1 processes left after the commit" "$(leftovers "$WORK/v1/prefork")" ""
after=$(tree_pids)
set -- $after
# the scoreboard file: mapped shared at the same address, its contents the
# file's (the numbers served, as the load counted them)
board_map() { grep " $WORK/board\$" /proc/"$1"/maps | cut -d' ' -f1,2; }
expect "the scoreboard mapping of the new master" "$(board_map "$1")" "$board_before"
expect "the scoreboard file" "$(od -An -tu8 -N8 "$WORK/board" | tr -d ' ')" \
	"$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["numbers"])' "$WORK/state.json")"
[ $# = 4 ] || fail "the new tree is '$after', want a master and 3 workers"
table=$(q pids)
echo "$table"
sorted() { tr ' ' '\n' | sort -n | tr '\n' ' '; }
expect "the master in the shared table" "$(echo "$table" | cut -d' ' -f3)" "$1"
expect "the master's table of workers" \
	"$(echo "$table" | sed 's/.* workers //; s/ restarts.*//' | sorted)" "$(echo "$2 $3 $4" | sorted)"
ctl status | grep -q "^  $2 child 1 of $1 $WORK/v2/prefork" || fail "status: $(ctl status)"

# the master's own state came over (v2 started 3 workers itself)
echo "$table" | grep -q "restarts 1 started 4$" || fail "the master's state: $table"
# the master still reaps and restarts its workers: pids name them
kill -KILL "$3"
for _ in $(seq 50); do
	q pids | grep -q "restarts 2 started 5" && break
	sleep 0.1
done
q pids | grep -q "restarts 2 started 5" || fail "the v2 master did not restart the worker killed: $(q pids)"

# 3. SIGTERM to ttstd stops the whole tree
kill "$TTSTD_PID"
for _ in $(seq 50); do
	kill -0 "$TTSTD_PID" 2>/dev/null || break
	sleep 0.1
done
kill -0 "$TTSTD_PID" 2>/dev/null && fail "ttstd did not stop on SIGTERM"
sleep 0.2
expect "processes left after SIGTERM" "$(leftovers "$WORK/v[12]/prefork")" ""
echo "ok"
