#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# Chained updates of a server whose startup opens its log into a heap
# configuration that the transfer replaces with the old one (as nginx's
# log files in its cycle): the startup's log must be closed at each
# update, though its number (9) is an int of the C runtime's data (getopt's
# optind after eight -v): the runtime holds a file only in a stream.
# Before, every update left the new startup's log open (nginx 1.26.2:
# 11, 13, 15, 16 descriptors).
. "${TSRC:-.}/lib.sh"
need_plugin
build v1/ngx11-logfd v1/ngx11-logfd.c

start_ttstd --name logfd -- "$WORK/v1/ngx11-logfd" -v -v -v -v -v -v -v -v "$SRV"
wait_connected
expect "hit" "$(q hit)" ok
expect "stats before" "$(q stats)" "1 8"
first_fds=$(ls "/proc/$(program_pid)/fd" | wc -l)
i=0
while [ $i -lt 3 ]; do
	i=$((i + 1))
	ctl update "$WORK/v1/ngx11-logfd" >"$WORK/out" 2>&1 || { cat "$WORK/out"; fail "update $i did not commit"; }
	# the case: the new startup's log took the number optind holds
	expect "the new startup's log at update $i" "$(grep "^log " "$WORK/program.out" | tail -n 1)" "log 9 optind 9"
	expect "hit after update $i" "$(q hit)" ok
	expect "stats after update $i" "$(q stats)" "$((i + 1)) 8"
	ls -l "/proc/$(program_pid)/fd" >"$WORK/fds"
	expect "descriptors at update $i" "$(ls "/proc/$(program_pid)/fd" | wc -l)" "$first_fds"
	expect "log descriptors at update $i" "$(grep -c "$SRV.log" "$WORK/fds")" 1
done
expect "the log" "$(tr '\n' ' ' <"$SRV.log")" "hit 1 hit 2 hit 3 hit 4 "
echo ok
