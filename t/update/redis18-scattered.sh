#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Updates of a server whose heap is linked in an order unrelated to its
# allocation order (v1/redis18-scattered.c: a list 20,000 links deep in
# a shuffled order, strings allocated in the opposite one), whose startup
# leaks two blocks naming only each other: the forward transfer's pass
# over the old version's blocks (transfer/unreached.c, which resolves all
# the words at once, sorted, since redis18) drops the two and carries the
# whole list and its strings, three updates in a row.
. "${TSRC:-.}/lib.sh"
need_plugin
build v1/redis18-scattered v1/redis18-scattered.c

want="20000 199990000 20000"
start_ttstd --name scattered -- "$WORK/v1/redis18-scattered" "$SRV"
wait_connected
expect "check before" "$(q check)" "$want"
i=0
while [ $i -lt 3 ]; do
	i=$((i + 1))
	chain_update "$WORK/v1/redis18-scattered" $i
	cat "$WORK/out"
	# the first past version's own leak; the next ones' startups had
	# theirs swept after their transfer (startup.c)
	[ $i -gt 1 ] || grep -q "2 old blocks nothing carried reaches dropped" "$WORK/out" ||
		fail "update $i: not the 2 leaked blocks dropped"
	expect "check after update $i" "$(q check)" "$want"
done
echo ok
