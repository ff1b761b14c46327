#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# A process-per-session server (t/update/v1/persession.c: a listener that
# forks a stats worker at startup and a session process per connection) is
# updated while sessions are held open, under load: the sessions keep
# serving during the update (even one that hangs until its timeout), an
# update whose new worker crashes rolls back, leaving no new process; the
# update v1 -> v2 commits: the held sessions go on with v1 behaviour, new
# sessions are v2 and numbered on from the listener's transferred count,
# the worker is v2 with its own count; status lists the old sessions with
# their version, and the v1 listener, parked, as their parent (a session
# dies with its listener, as vsftpd's do).  The worker is restarted by the
# v2 listener (a restarted worker is a worker again at its update point),
# then v2 -> v3 commits with sessions of v1 and v2 held open.  A session
# that ends is reaped; the v1 listener exits after the last v1 session;
# SIGTERM to ttstd leaves no process of any version.
. "${TSRC:-.}/lib.sh"
need_plugin
command -v python3 >/dev/null || { echo "SKIP: no python3"; exit 77; }
# (update-session-clone.sh: SESSION_CFLAGS=-DRAW_CLONE)
build v1/persession v1/persession.c ${SESSION_CFLAGS:-}
build v2/persession v1/persession.c -DVERSION=2 ${SESSION_CFLAGS:-}
build v2/crash v1/persession.c -DVERSION=2 -DCRASH_WORKER ${SESSION_CFLAGS:-}
build v3/persession v1/persession.c -DVERSION=3 ${SESSION_CFLAGS:-}

start_ttstd --name sess -- "$WORK/v1/persession" "$SRV"
wait_connected
for _ in $(seq 100); do
	[ "$(ctl status | grep -c '^  .* child ')" = 1 ] && break
	sleep 0.05
done
[ "$(ctl status | grep -c '^  .* child ')" = 1 ] || fail "status does not list the worker: $(ctl status)"

cat >"$WORK/drive.py" <<'PY'
import os, re, socket, subprocess, sys, threading, time
srv, ctl, sock, work, ttstd_pid = sys.argv[1:6]
lock = threading.Lock()

def fail(msg):
    print("FAIL: " + msg)
    sys.stdout.flush()
    os._exit(1)

class Session:
    """A connection to a session process, checking its replies."""
    def __init__(self):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(30)
        self.s.connect(srv)
        self.f = self.s.makefile("r")
        self.lines, self.version, self.number, self.pid, self.last = 0, None, None, None, None
    def ask(self):
        self.s.sendall(b"x\n")
        r = self.f.readline().split()   # v1 session 3 line 1 pid 123
        if len(r) != 7:
            fail("session %s: reply %r" % (self.number, r))
        self.lines += 1
        if int(r[4]) != self.lines:
            fail("session %s: line %s, want %d" % (self.number, r[4], self.lines))
        if self.version is None:
            self.version, self.number, self.pid = r[0], int(r[2]), int(r[6])
        elif (r[0], int(r[2])) != (self.version, self.number):
            fail("session %d of %s answered as %s session %s" %
                 (self.number, self.version, r[0], r[2]))
        self.last = time.monotonic()
        return r[0]
    def close(self):
        self.f.close()  # (the descriptor stays open while the file does)
        self.s.close()

numbers = []    # numbers of the sessions opened, in order
served = [0]    # the stats worker's count
stats_lock = threading.Lock()
def new_session():
    with lock:
        s = Session()
        v = s.ask()
        numbers.append(s.number)
        if len(numbers) > 1 and numbers[-1] != numbers[-2] + 1:
            fail("session number %d after %d: the listener's count was lost" %
                 (numbers[-1], numbers[-2]))
    return s

def stats():
    with stats_lock:
        c = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        c.settimeout(30)
        c.connect(srv + ".stats")
        c.sendall(b"s\n")
        r = c.makefile("r").readline().split()   # v1 stats served 4
        c.close()
        served[0] += 1
        if len(r) != 4 or int(r[3]) != served[0]:
            fail("stats worker: %r, want served %d" % (r, served[0]))
        return r[0]

def status():
    return subprocess.run([ctl, "--socket", sock, "status"], stdout=subprocess.PIPE,
                          text=True).stdout

def sessions_listed():
    """pid -> (binary, old) of the sessions ttst-ctl status lists"""
    out = {}
    for m in re.finditer(r"^  (\d+) session, child \d+ of \d+ (\S+)( \(old version\))?$",
                         status(), re.M):
        out[int(m.group(1))] = (m.group(2), bool(m.group(3)))
    return out

def session_pid(s):
    return s.pid

def alive(pid):
    """running, not a zombie"""
    try:
        return open("/proc/%s/stat" % pid).read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False

held_gaps = []
def load(stop, held, versions):
    """new sessions, stats and the held sessions, each in a thread of its
    own (a new session waits while the listener is paused), until stop"""
    def sessions():
        while not stop.is_set():
            s = new_session()
            versions.add(s.ask())
            s.close()
    def asks():
        while not stop.is_set():
            for h in held:
                before = h.last
                h.ask()
                held_gaps.append(h.last - before)
            time.sleep(0.01)
    def stat():
        while not stop.is_set():
            versions.add(stats())
    def guarded(f):
        def run():
            try:
                f()
            except Exception as e:
                fail("under load, %s: %r" % (f.__name__, e))
        return run
    ts = [threading.Thread(target=guarded(f)) for f in (sessions, asks, stat)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()

def update(*args, under_load=(), want_rc=0):
    stop, versions = threading.Event(), set()
    del held_gaps[:]
    t = threading.Thread(target=load, args=(stop, list(under_load), versions))
    t.start()
    time.sleep(0.3)
    t0 = time.monotonic()
    r = subprocess.run([ctl, "--socket", sock, "update"] + list(args),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    took = time.monotonic() - t0
    time.sleep(0.3)
    stop.set()
    t.join()
    print(r.stdout, end="")
    if r.returncode != want_rc:
        fail("update %s: exit status %d, want %d" % (args, r.returncode, want_rc))
    return r.stdout, took

def leftovers(binary):
    found = []
    for p in os.listdir("/proc"):
        try:
            argv0 = open("/proc/%s/cmdline" % p, "rb").read().split(b"\0")[0].decode()
        except (OSError, ValueError):
            continue
        if p.isdigit() and re.fullmatch(binary, argv0) and alive(p):
            found.append(int(p))
    return found

v1, v2, v2crash, v3 = (work + p for p in ("/v1/persession", "/v2/persession", "/v2/crash",
                                          "/v3/persession"))
held = [new_session() for _ in range(3)]
for h in held:
    h.ask()
listed = sessions_listed()
if sorted(listed) != sorted(session_pid(h) for h in held) or \
        any(v != (v1, False) for v in listed.values()):
    fail("status does not list the 3 v1 sessions: %s" % status())

# 1. sessions are not paused: an update whose forward transfer hangs until
#    its 3 s timeout freezes the listener, not its sessions
out, took = update("--timeout", "3", "--fault", "hang@forward", v2, under_load=held, want_rc=1)
if took < 2.5:
    fail("the hanging update took %.1f s" % took)
if max(held_gaps) > 1.0:
    fail("a held session waited %.1f s during the update: it was paused" % max(held_gaps))
print("hanging update: %.1f s, the held sessions answered %d times, longest wait %.3f s" %
      (took, len(held_gaps), max(held_gaps)))

# 2. the new worker crashes: rolled back, no new process left
out, took = update(v2crash, under_load=held, want_rc=1)
if not re.search(r"^rolled back: .*future version's child 1 of pid \d+ \(pid \d+\) was killed by SIGABRT",
                 out, re.M):
    fail("the reason does not name the crashed worker")
time.sleep(0.3)
if leftovers(re.escape(v2crash)):
    fail("processes of the failed update left: %s" % leftovers(re.escape(v2crash)))

# 3. v1 -> v2 under load with the sessions held open
out, took = update(v2, under_load=held)
for h in held:
    if h.ask() != "v1":
        fail("a held session does not run v1 any more")
s = new_session()
if s.ask() != "v2" or stats() != "v2":
    fail("new sessions or the worker do not run v2")
s.close()
listed = sessions_listed()
if any(listed.get(session_pid(h)) != (v1, True) for h in held):
    fail("status does not list the held sessions as v1 (old version): %s" % status())
if not re.search(r"^  \d+ master %s$" % re.escape(v2), status(), re.M):
    fail("status: %s" % status())
def retired():
    """binaries of the replaced listeners kept for their sessions"""
    return sorted(re.findall(r"^  \d+ retired \(parked until its sessions end\) (\S+) \(old version\)$",
                             status(), re.M))
if retired() != [v1]:
    fail("status does not list the v1 listener kept for its sessions: %s" % status())
print("held v1 sessions after the commit: %s" % [h.ask() for h in held])

# 4. the v2 listener restarts its worker, which is a worker again at its
#    update point; then v2 -> v3 with sessions of v1 and v2 held open
worker = int(re.search(r"^  (\d+) child \d+ of", status(), re.M).group(1))
os.kill(worker, 9)
served[0] = 0  # (the restarted worker counts from 0)
for _ in range(100):
    m = re.search(r"^  (\d+) child \d+ of", status(), re.M)
    if m and int(m.group(1)) != worker:
        break
    time.sleep(0.05)
else:
    fail("the worker was not restarted: %s" % status())
time.sleep(0.3)  # (the restarted worker reaches its update point)
held2 = [new_session() for _ in range(2)]
out, took = update(v3, under_load=held + held2)
if [h.ask() for h in held + held2] != ["v1"] * 3 + ["v2"] * 2:
    fail("held sessions changed version")
s = new_session()
if s.ask() != "v3" or stats() != "v3":
    fail("new sessions or the worker do not run v3")
s.close()
want = {session_pid(h): (v1, True) for h in held}
want.update({session_pid(h): (v2, True) for h in held2})
for _ in range(100):  # (the sessions of the load end)
    listed = sessions_listed()
    if listed == want:
        break
    time.sleep(0.05)
else:
    fail("status lists sessions %s, want %s" % (listed, want))
print("chained update: sessions %s" % sorted(set(v for v, _ in listed.values())))

# 5. a session that ends is reaped and leaves the status; once the last v1
#    session ended, the v1 listener is gone too
if retired() != [v1, v2]:
    fail("status does not list the v1 and v2 listeners: %s" % status())
for h in held:
    gone = session_pid(h)
    h.close()
    for _ in range(100):
        if gone not in sessions_listed() and not os.path.exists("/proc/%d" % gone):  # reaped
            break
        time.sleep(0.05)
    else:
        fail("the ended session %d is still listed or not reaped: %s" % (gone, status()))
for _ in range(100):
    if retired() == [v2]:
        break
    time.sleep(0.05)
else:
    fail("the v1 listener was kept after its last session ended: %s" % status())
if leftovers(re.escape(v1)):
    fail("v1 processes left after the last v1 session ended: %s" % leftovers(re.escape(v1)))
if [h.ask() for h in held2] != ["v2", "v2"]:
    fail("the v2 sessions")

# 6. SIGTERM to ttstd stops every process, old sessions included
os.kill(int(ttstd_pid), 15)
for _ in range(100):
    if not alive(ttstd_pid):
        break
    time.sleep(0.1)
time.sleep(0.3)
left = leftovers(re.escape(work) + r"/v\d/\w+")
if left:
    fail("processes left after SIGTERM to ttstd: %s" % left)
print("ok")
PY

python3 "$WORK/drive.py" "$SRV" "$TTST_CTL" "$SOCK" "$WORK" "$TTSTD_PID" >"$WORK/drive.out" 2>&1 ||
	{ cat "$WORK/drive.out" "$WORK/program.out"; fail "the per-session server across updates"; }
cat "$WORK/drive.out"
grep -q "^ok$" "$WORK/drive.out" || fail "the driver did not finish"
echo "ok"
