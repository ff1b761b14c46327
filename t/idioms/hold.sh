# SPDX-License-Identifier: GPL-3.0-or-later
#
# Shared by bevref.sh and rawev.sh (after lib.sh): hold.py's client,
# which keeps state in the server across the updates.
#   hold_start PAGES    start it (in fill_extra), once it has sent
#   hold_finish         let it read and check everything (after the last
#                       update); fails the test if it found anything wrong

command -v python3 >/dev/null || skip "python3 (the holding client) is not installed"

hold_start() { # PAGES
	python3 "$(dirname "$0")/hold.py" "$port" "$1" "$tmp/go" >"$tmp/hold.out" 2>&1 &
	hold_pid=$!
	wait_for 10 grep -q 'hold: waiting' "$tmp/hold.out" || fail "hold.py did not start: $(cat "$tmp/hold.out")"
}

hold_finish() {
	kill -0 "$hold_pid" 2>/dev/null || fail "hold.py ended early: $(cat "$tmp/hold.out")"
	touch "$tmp/go"
	wait "$hold_pid" || fail "the held connection: $(cat "$tmp/hold.out")"
	note "$(tail -n 1 "$tmp/hold.out")"
}
