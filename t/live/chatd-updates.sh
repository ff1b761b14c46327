#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# chatd (chatd/: a poll() pub/sub chat server whose state is a web of small
# heap objects: client queues, channel member lists, a sorted timer list)
# under continuous checked load (chatload), live-updated
#   1 -> 2-bad   rolled back: the renamed enumerator of client.state has no
#                conversion, and the reason names the member;
#   1 -> 2       committed: structs reordered, counters widened, input buffer
#                grown, a new configuration variable, a member callback;
#   2 -> 3       with injected faults: each rolled back, 2 serving on from
#                the same process with its state intact;
#   2 -> 3       committed: arrays grown, statistics widened, a transformer;
#   3 -> 3       with injected faults (the copy paths of unchanged types):
#                rolled back likewise.
# No client request may fail, no message may be lost, repeated or
# corrupted, no timer may be lost, chatd's own check of its links (VERIFY)
# must pass after every step, and each release runs its new code on the
# old state.

. "$(dirname "$0")/lib.sh"

for p in chatd-1 chatd-2 chatd-2-bad chatd-3 chatload; do
	[ -x "$CHATD_DIR/$p" ] || fail "$CHATD_DIR/$p is missing although the plugin exists"
done

chat() { "$CHATD_DIR/chatload" --port "$port" send "$@"; }

# Value of FIELD in chatd's STATS reply.
chat_stat() {
	chat STATS | tr ' ' '\n' | sed -n "s/^$1=//p"
}

# chatd's check of its own state must pass; its census (clients=n ...)
# in $census.
chat_verify() { # CONTEXT
	v=$(chat VERIFY)
	case $v in
	"VERIFY ok"*) census=${v#VERIFY ok } ;;
	*) fail "$1: chatd's state is inconsistent: $v" ;;
	esac
}

# wait_for SECONDS COMMAND...: run COMMAND until it succeeds; status 1 if
# it did not within SECONDS.
wait_for() {
	deadline=$(($(date +%s) + $1))
	shift
	until "$@"; do
		[ "$(date +%s)" -lt $deadline ] || return 1
		kill -0 "$ttstd_pid" 2>/dev/null || fail "ttstd exited while waiting for: $*"
		sleep 0.1
	done
}

load_ready() {
	kill -0 "$load_pid" 2>/dev/null || fail "chatload stopped at startup: $(cat "$tmp/load.out")"
	grep -q 'clients ready' "$tmp/load.out"
}
lines_at_least() { [ "$(wc -l <"$2")" -ge "$1" ]; }
requests_at_least() { [ "$(chat_stat requests)" -ge "$1" ]; }
census_is() { chat_verify "census"; [ "$census" = "$1" ]; }

# Wait until the load made chatd serve 300 more requests: every update
# happens while the clients are busy.
load_flowing() {
	floor=$(($(chat_stat requests) + 300))
	wait_for 60 requests_at_least $floor || fail "the load stalled below $floor requests"
}

# expect_rollback PROGRAM [OPTIONS...]: rolled back, same process, serving
# the same release with a consistent state.
expect_rollback() {
	load_flowing
	expect_update 1 "$@"
	[ "$(served_pid)" = "$pid" ] || fail "update to $*: served pid $(served_pid), was $pid"
	[ "$(chat_stat version)" = "$version" ] || fail "update to $*: not serving $version after the rollback"
	chat_verify "after the rollback of $*"
	note "update to ${1##*/} $2 $3: $(grep -m1 '^rolled back' "$tmp/update.out")"
}

# expect_commit RELEASE: committed, the new process serves RELEASE.
expect_commit() {
	load_flowing
	expect_update 0 "$CHATD_DIR/chatd-$1" --timeout 30
	[ "$(served_pid)" != "$pid" ] || fail "update to chatd-$1: the served pid did not change"
	pid=$(served_pid)
	version=$1
	[ "$(chat_stat version)" = "$version" ] || fail "not serving chatd-$version after the commit"
	note "chatd-$version committed: $(grep -m1 'phases' "$tmp/update.out")"
}

"$TTSTD" --socket "$sock" --log "$tmp/ttstd.log" -- \
	"$CHATD_DIR/chatd-1" "$tmp/port" 2>>"$tmp/chatd.err" &
ttstd_pid=$!
wait_for 30 test -s "$tmp/port" -a -S "$sock" || fail "chatd-1 did not start within 30 s"
port=$(cat "$tmp/port")
pid=$(served_pid)
version=1
[ "$(chat_stat version)" = 1 ] || fail "chatd-1 does not answer as version 1"

# A 700-byte line: 1 (512-byte lines) drops the connection, 2 takes it.
long=$(printf '%0700d' 0 | tr 0 x)
chat "NICK big" "JOIN big" "PUB big $long" >/dev/null 2>&1 && fail "chatd-1 accepted a 700-byte line"
# A client that stays connected, idle: named, in a channel, with a timer
# due in an hour (still pending at the end).
"$CHATD_DIR/chatload" --port "$port" hold "NICK idle" "JOIN idle" "TIMER 3600000 later" \
	>"$tmp/idle.out" 2>&1 &
idle_pid=$!
trap 'kill $idle_pid 2>/dev/null; cleanup' EXIT
wait_for 30 lines_at_least 3 "$tmp/idle.out" ||
	fail "the idle client did not get its 3 replies: $(cat "$tmp/idle.out")"

# Longer than any update may pause chatd (--timeout 30).
"$CHATD_DIR/chatload" --port "$port" --clients 6 --timeout 60 run >"$tmp/load.out" 2>&1 &
load_pid=$!
wait_for 30 load_ready || fail "chatload did not get ready within 30 s"
chat_verify "under load"
note "under load: $census"

# ---- 1 -> 2-bad: no conversion of client.state, whose enumerator CS_NAMED
# is CS_REGISTERED in 2; the named load clients make the transfer fail.
expect_rollback "$CHATD_DIR/chatd-2-bad" --timeout 30
grep -q '\.state: enumerator CS_NAMED ' "$tmp/update.out" || {
	sed 's/^/  | /' "$tmp/update.out"
	fail "the rollback of chatd-2-bad does not name client.state and CS_NAMED"
}

# ---- 1 -> 2: committed.
requests=$(chat_stat requests)
expect_commit 2
[ "$(chat_stat requests)" -gt "$requests" ] || fail "stats.requests went back from $requests"
# max_queue is new in 2: it keeps its initializer.
[ "$(chat_stat max_queue)" = 1000 ] || fail "max_queue = $(chat_stat max_queue) after 1 -> 2, expected 1000"
chat "NICK big" "JOIN big" "PUB big $long" >/dev/null || fail "chatd-2 refused a 700-byte line"
chat "MAXQUEUE 500" | grep -qx OK || fail "MAXQUEUE refused"
chat "NICK five" "JOIN a" "JOIN b" "JOIN c" "JOIN d" "JOIN e" | tail -n 1 | grep -q '^ERR' ||
	fail "chatd-2 let a client join a fifth channel"
chat_verify "after 1 -> 2"

# ---- Faulty updates to 3 (types change): rolled back, 2 serves on.
for fault in crash@forward corrupt-pointer@backward; do
	expect_rollback "$CHATD_DIR/chatd-3" --fault $fault --timeout 30
done

# ---- 2 -> 3: committed; the configured max_queue (500) survives although 3
# initializes it to 4096, and channel.nmembers is computed (VERIFY checks it).
expect_commit 3
[ "$(chat_stat max_queue)" = 500 ] || fail "max_queue = $(chat_stat max_queue) after 2 -> 3, expected 500"
chat "NICK five" "JOIN a" "JOIN b" "JOIN c" "JOIN d" "JOIN e" | tail -n 1 | grep -q '^OK' ||
	fail "chatd-3 refused a fifth channel"
chat_verify "after 2 -> 3"

# ---- Faulty updates from 3 to 3 (identical types: the copy fast paths).
for fault in skip-write@forward corrupt-value@backward; do
	expect_rollback "$CHATD_DIR/chatd-3" --fault $fault --timeout 30
done

"$TTST_CTL" --socket "$sock" history >"$tmp/history" || fail "ttst-ctl history failed"
awk '{ print $3 }' "$tmp/history" | tr '\n' ' ' |
	grep -qx 'rolled-back committed rolled-back rolled-back committed rolled-back rolled-back *' || {
	cat "$tmp/history"
	fail "history does not list 2-bad rolled back, 2 committed, 2 faults rolled back, 3 committed, 2 faults rolled back"
}

stop_load
grep -q ' 0 failed$' "$tmp/load.out" || fail "chatload: $(tail -n 1 "$tmp/load.out")"
# Once chatd has seen the load's connections close: the idle client, its
# channel and its timer remain (and the client asking); 10 channels: room0,
# room1, lobby, idle, big, a-e.
expected="clients=2 channels=10 members=1 timers=1 queued=0"
wait_for 30 census_is "$expected" || fail "chatd's census is '$census', expected '$expected'"
# The statistics count everything since chatd-1 started, through three
# releases: every PUB of the load (and the 700-byte one), every timer it
# set, at least every message it received and every request it sent.
load_stat() { sed -n "s/.* \([0-9]*\) $1.*/\1/p" "$tmp/load.out"; }
[ "$(chat_stat published)" = $(($(load_stat published) + 1)) ] ||
	fail "chatd counted $(chat_stat published) PUBs, the load sent $(load_stat published) and this test 1"
[ "$(chat_stat timers)" = "$(load_stat timers)" ] ||
	fail "chatd fired $(chat_stat timers) timers, the load saw $(load_stat timers)"
[ "$(chat_stat delivered)" -ge "$(load_stat messages)" ] ||
	fail "chatd delivered $(chat_stat delivered) messages, the load received $(load_stat messages)"
[ "$(chat_stat requests)" -gt "$(load_stat requests)" ] ||
	fail "chatd counted $(chat_stat requests) requests, the load sent $(load_stat requests)"
[ "$(chat_stat dropped)" = 0 ] || fail "chatd dropped $(chat_stat dropped) messages"
note "all updates behaved; $(tail -n 1 "$tmp/load.out"); $(chat STATS)"
exit 0
