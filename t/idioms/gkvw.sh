#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# gkvw (gkvw/: a key-value server on GLib whose two worker threads each
# run a GMainLoop on a GMainContext of their own, every thread's update
# point in the callback of the update descriptor's source in its context;
# GIOChannel watches, g_idle_add, g_main_context_invoke, a timeout in
# every context) under idload's checking load, updated 1 -> 2 (members
# added in the middle of three structs) and then 2 -> 2 eleven times.
# After every commit: the new process serves release 2, VERIFY passes,
# every key is there, and the 50 ms timeouts of the main context and of
# each worker's still fire.  Before, only the thread that handed over
# ended its GLib dispatch after the commit: the workers' update sources
# stayed blocked as "in call", and the second update's quiescence timed
# out waiting for them.  Before the first update and after it, an update
# to release 2 running with a GLib whose GSource flags ttst cannot find
# (gkvw/glayout.c, preloaded by a wrapper that execs it) must roll back
# naming GLib's GSource, the running process serving on, intact.

[ -x "${IDIOMS_DIR:-.}/gkvw-1" ] || { echo "SKIP: GLib (libglib2.0-dev) was not found at configure time"; exit 77; }
SERVER=gkvw
VERSION_1="VERSION 1"
VERSION_2="VERSION 2"
. "$(dirname "$0")/lib.sh"

census_field() { echo "$census" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
ticks_above() { verify_ok "the timeouts"; [ "$(census_field "$1")" -gt "$2" ]; }

# expect_layout_rollback RELEASE: see above.
expect_layout_rollback() {
	old_pid=$(served_pid)
	updates_tried=$((updates_tried + 1))
	printf '#!/bin/sh\nLD_PRELOAD=%s exec "%s" "$@"\n' "$IDIOMS_DIR/.libs/glayout.so" \
		"$IDIOMS_DIR/gkvw-2" >"$tmp/glayout-wrapper"
	chmod 755 "$tmp/glayout-wrapper"
	"$TTST_CTL" --socket "$sock" update --timeout 30 "$tmp/glayout-wrapper" >"$tmp/bad.out" 2>&1
	rc=$?
	note "update with GLib's GSource flags elsewhere: exit status $rc; the report:"
	sed 's/^/  | /' "$tmp/bad.out"
	[ $rc -eq 1 ] || fail "release $1: the update with GLib's flags elsewhere did not roll back (exit status $rc)"
	grep -q "GLib's struct GSource is not laid out" "$tmp/bad.out" ||
		fail "release $1: the rollback does not name GLib's GSource"
	[ "$(served_pid)" = "$old_pid" ] || fail "release $1: pid $(served_pid) after the rollback, was $old_pid"
	[ "$(send VERSION)" = "VERSION $1" ] || fail "release $1: serving '$(send VERSION)' after the rollback"
	verify_ok "after the rollback"
	check_filled "after the rollback"
}

layout_rollbacks_done=
check_extra() {
	case " $layout_rollbacks_done " in
	*" $1 "*) ;;
	*)
		layout_rollbacks_done="$layout_rollbacks_done $1"
		expect_layout_rollback "$1"
		;;
	esac
	verify_ok "the timeouts"
	t=$(census_field ticks)
	w=$(census_field wticks)
	wait_for 10 ticks_above ticks "$t" || fail "release $1: the main context's 50 ms timeout stopped firing"
	wait_for 10 ticks_above wticks "$w" || fail "release $1: a worker's 50 ms timeout stopped firing"
}

run_updates
