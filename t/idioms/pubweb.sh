#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# pubweb (pubweb/: libevent's evhttp whose connections' bufferevents the
# program makes itself, evhttp_set_bevcb with its server as the argument,
# and reads through libevent's public struct bufferevent; GET replies
# deferred by 1 ms one-shot timers whose argument is a request record of
# the program, so records are in flight at every update; struct server
# grows past its malloc chunk in release 2), under the checking HTTP load
# of webkv/wload.py, updated 1 -> 2 and then 2 -> 2 three times.  After
# every commit: the new release answers, /verify (the table, each
# connection's list links and its bufferevent read through the public
# struct) is ok, bufferevents are still made for new connections, the
# filled keys are all there; at the end no request of the load failed.

SERVER=pubweb
NUPDATES=4
# census: verify_web's "ok ... made=N ..." line
made() { echo "$census" | sed -n 's/.* made=\([0-9]*\) .*/\1/p'; }

# the check's connection got a bufferevent made for the moved server
check_web_extra() { # N
	before=$(made)
	verify_web "after update $1's check"
	[ "$(made)" -gt "$before" ] || fail "after update $1: no bufferevent made for a new connection ($census)"
}

. "$(dirname "$0")/webkv/web-updates.sh"
