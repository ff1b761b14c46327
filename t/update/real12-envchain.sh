#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Chained updates of a server that copies its environment as nginx does
# at every start (v1/real12-env.c): its strings moved into a heap block
# the exec vector points into (ngx_init_setproctitle), then an array of
# the variables it keeps made `environ` and kept in its configuration
# (ngx_set_environment).  The C runtime's `environ` must carry the old
# array (the configuration's, which the transfer gives the new version),
# so that the new startup's array is freed, and the old title block must
# go into the new startup's one (the exec vector is the process's own),
# so that nothing is left per update: dynamic objects and objects when
# quiesced stay flat, `environ` is the configuration's array, getenv
# works, a reload still frees the replaced array.  Before, each update
# kept both of the new startup's copies and transferred the old ones:
# +2 objects per update (nginx 1.26.2: 772, 775, 777, ...).
. "${TSRC:-.}/lib.sh"
need_plugin
build v1/real12-env v1/real12-env.c

# a title block over 1 KiB, which the transfer reads itself (not fetched)
REAL12_KEEP=kept REAL12_OTHER=x REAL12_PAD=$(printf '%02000d' 0) start_ttstd --name env -- "$WORK/v1/real12-env" "$SRV"
wait_connected
expect "env before" "$(q env)" "kept 1 3 1"
first=
first_live=
i=0
while [ $i -lt 5 ]; do
	i=$((i + 1))
	chain_update "$WORK/v1/real12-env" $i
	expect "env after update $i" "$(q env)" "kept 1 3 1"
	first=${first:-$dyn}
	expect "dynamic objects at update $i" "$dyn" "$first"
	live=$(ctl --json history | sed -n 's/.*"state_objects":\([0-9]*\).*/\1/p' | tail -n 1)
	[ $i -ge 2 ] || continue
	first_live=${first_live:-$live}
	[ "$live" -le "$first_live" ] ||
		fail "update $i: $live objects when quiesced, $first_live at update 2"
done
echo "$dyn dynamic objects, $live objects when quiesced at update 5"
expect "reload" "$(q reload)" ok
expect "env after the reload" "$(q env)" "kept 1 3 1"
echo ok
