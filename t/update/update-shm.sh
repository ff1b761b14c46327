#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Shared memory of a process tree (t/update/v1/shm.c: a master and 2
# workers sharing a MAP_SHARED|MAP_ANONYMOUS mapping, a SysV segment
# removed with IPC_RMID once attached, and POSIX shared memory): a new
# version whose type inside each of them changed rolls back, the reason
# naming the memory and the type; v1 -> v2 -> v3 commit under requests,
# each count going on in the very same memory (the same SysV shmid), and
# no segment is left after SIGTERM.  Run as an unprivileged user (nobody),
# the tree is updated when its SysV segment is attached again by shmid and
# its POSIX shared memory opened by name; once that name is unlinked, the
# update is refused up front, naming the memory and the fix.
. "${TSRC:-.}/lib.sh"
need_plugin
[ "$(id -u)" = 0 ] || { echo "SKIP: shared anonymous mappings are handed on through /proc/PID/map_files (root only)"; exit 77; }
build v1/shm v1/shm.c
build v2/shm v1/shm.c -DVERSION=2
build v3/shm v1/shm.c -DVERSION=3
build v2/anon v1/shm.c -DVERSION=2 -DCHANGE_ANON
build v2/sysv v1/shm.c -DVERSION=2 -DCHANGE_SYSV
build v2/posix v1/shm.c -DVERSION=2 -DCHANGE_POSIX
SHM=/ttst-test-$$
start_ttstd --name shm -- "$WORK/v1/shm" "$SRV" "$SHM"
wait_connected

count=0
segment_exists() {
	ipcs -m | awk -v id="$1" '$2 == id { found = 1 } END { exit !found }'
}
# ask VERSION: one request, every count one more than the last
ask() {
	want=${1:-}
	count=$((count + 1))
	r=$(q x)
	set -- $r
	[ "$1 $3 $5 $7" = "$1 $count $count $count" ] || fail "request $count: '$r'"
	[ -z "$want" ] || [ "$1" = "$want" ] || fail "request $count answered by $1, want $want"
	shmid=$9
}
for _ in 1 2 3 4 5; do ask; done
first=$shmid
segment_exists "$shmid" || fail "no SysV segment $shmid: $(ipcs -m)"

# a type changed inside shared memory: rolled back, naming it
out=$(ctl update "$WORK/v2/anon") && fail "a type change in the shared anonymous mapping committed: $out"
echo "$out" | head -1
echo "$out" | grep -q "^rolled back: .*points into the shared anonymous mapping at 0x[0-9a-f]* (4096 bytes).* struct anon_counts (8 bytes) became struct anon_counts (16 bytes)" ||
	fail "anon: $out"
out=$(ctl update "$WORK/v2/sysv") && fail "a type change in the SysV segment committed: $out"
echo "$out" | head -1
echo "$out" | grep -q "^rolled back: .*points into the SysV shared memory segment shmid $shmid (key 0x0) at 0x[0-9a-f]*.* struct sysv_counts (8 bytes) became struct sysv_counts (16 bytes)" ||
	fail "sysv: $out"
out=$(ctl update "$WORK/v2/posix") && fail "a type change in the POSIX shared memory committed: $out"
echo "$out" | head -1
echo "$out" | grep -q "^rolled back: .*points into the POSIX shared memory /dev/shm$SHM at 0x[0-9a-f]*.* struct posix_counts (8 bytes) became struct posix_counts (16 bytes)" ||
	fail "posix: $out"
for _ in 1 2 3; do ask v1; done

# v1 -> v2 -> v3: the counts go on in the same memory
for v in 2 3; do
	out=$(ctl update "$WORK/v$v/shm") || fail "v$v: $out"
	echo "$out" | head -1
	for _ in 1 2 3 4 5 6; do ask "v$v"; done
	expect "the SysV segment in v$v" "$shmid" "$first"
done
expect "processes of v1 and v2 left" "$(pgrep -f "^$WORK/v[12]/" | tr '\n' ' ')" ""

kill "$TTSTD_PID"
for _ in $(seq 50); do
	kill -0 "$TTSTD_PID" 2>/dev/null || break
	sleep 0.1
done
segment_exists "$first" && fail "the SysV segment outlived the tree: $(ipcs -m)"
[ -e "/dev/shm$SHM" ] && fail "the POSIX shared memory outlived the tree"

# unprivileged: SysV by shmid and POSIX by name, or a refusal
command -v setpriv >/dev/null && id nobody >/dev/null 2>&1 ||
	{ echo "ok (without the unprivileged part: no setpriv or no user nobody)"; exit 0; }
build v1/nopriv v1/shm.c -DNO_ANON
build v2/nopriv v1/shm.c -DNO_ANON -DVERSION=2
build v1/unlinked v1/shm.c -DNO_ANON -DUNLINK_POSIX
chmod 755 "$WORK" "$WORK"/v1 "$WORK"/v2
mkdir "$WORK/nobody"
chown nobody "$WORK/nobody"
NB=$WORK/nobody
as_nobody() {
	setpriv --reuid="$(id -u nobody)" --regid="$(id -g nobody)" --clear-groups -- "$@"
}
for prog in nopriv unlinked; do
	# (setpriv itself in the background: $! is ttstd's pid once it execs)
	setpriv --reuid="$(id -u nobody)" --regid="$(id -g nobody)" --clear-groups -- "$TTSTD" --socket "$NB/ctl.sock" --log "$NB/ttstd.log" -- "$WORK/v1/$prog" "$NB/srv.sock" "$SHM-$prog" \
		>"$NB/program.out" 2>&1 &
	TTSTD_PID=$!
	for _ in $(seq 100); do
		"$TTST_CTL" --socket "$NB/ctl.sock" --json status 2>/dev/null | grep -q '"connected":1' && break
		sleep 0.05
	done
	"$TQ" line "$NB/srv.sock" x | grep -q "^v1 anon 1 sysv 1 posix 1 " || fail "$prog: the first request"
	out=$(as_nobody "$TTST_CTL" --socket "$NB/ctl.sock" update "$WORK/v2/nopriv")
	echo "$out" | head -1
	if [ "$prog" = nopriv ]; then
		echo "$out" | grep -q "^committed" || fail "unprivileged: $out; $(cat "$NB/ttstd.log")"
		"$TQ" line "$NB/srv.sock" x | grep -q "^v2 anon 2 sysv 2 posix 2 " || fail "unprivileged: v2 lost the counts"
	else
		echo "$out" | grep -q "^rolled back: .*the POSIX shared memory /dev/shm$SHM-unlinked (deleted) at 0x[0-9a-f]* (4096 bytes) cannot be handed to the new version: Operation not permitted (.*CAP_SYS_ADMIN.*keep the shared memory's name in /dev/shm" ||
			fail "unlinked: $out"
		"$TQ" line "$NB/srv.sock" x | grep -q "^v1 anon 2 sysv 2 posix 2 " || fail "unlinked: v1 does not serve on"
	fi
	kill "$TTSTD_PID"
	wait "$TTSTD_PID"
	[ -z "$(pgrep -f "^$WORK/v[12]/$prog ")" ] || fail "$prog: processes left after SIGTERM"
	rm -f "$NB"/*
done
TTSTD_PID=
echo "ok"
