#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Chained updates of a memcached-shaped item store (v1/slablru.c): items
# carved out of untyped pages by the program, linked in an LRU list whose
# links live in the pages (a page is typed as one struct item whose
# flexible data[] holds the other items).  Between updates old items are
# bumped to the head and new ones set on pages of the current generation,
# so the list links pages of every generation; after each update the list
# is walked by prev from the tail (memcached's LRU maintainer) and checked
# both ways.  memcached 1.6.45 crashed there after its second chained
# update (a prev into the first generation's unmapped heap); mcdfix16 made
# that update roll back (on main update 2 rolls back); the pages now keep
# their address, the words of their items classified.
. "${TSRC:-.}/lib.sh"
need_plugin
build v1/slablru v1/slablru.c

start_ttstd --name slablru -- "$WORK/v1/slablru" "$SRV"
wait_connected
n=0 sum=0
for k in $(seq 1 300); do
	expect "set $k" "$(q "set $k")" ok
	n=$((n + 1)) sum=$((sum + k))
done
expect "walk before" "$(q walk)" "$n $sum"
i=0
while [ $i -lt 4 ]; do
	i=$((i + 1))
	ctl update "$WORK/v1/slablru" >"$WORK/out" 2>&1 || { cat "$WORK/out"; fail "update $i did not commit"; }
	grep -q "^diff: *0 differences" "$WORK/out" || { cat "$WORK/out"; fail "update $i: differences"; }
	expect "walk after update $i" "$(q walk)" "$n $sum"
	for k in $((i * 7)) $((i * 7 + 5)) 1 40 $((1000 * (i - 1) + 3)); do
		expect "get $k after update $i" "$(q "get $k")" "$k"
	done
	for k in $(seq $((1000 * i)) $((1000 * i + 90))); do
		expect "set $k after update $i" "$(q "set $k")" ok
		n=$((n + 1)) sum=$((sum + k))
	done
	expect "walk after the sets of update $i" "$(q walk)" "$n $sum"
done
echo ok
