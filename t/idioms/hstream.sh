#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# hstream (hstream/, wave 23's hunt: libevent's evhttp, each GET's reply
# streamed in chunks by a persistent timer embedded in a request-state
# struct of the program that grows in release 2, a connection close
# callback with the state as its argument; an evdns base on the hosts
# file; a persistent clock event; release 2's banner set by
# stf_on_commit), under the checking HTTP load of webkv/wload.py, GETs
# streaming at every update, updated 1 -> 2 and then 2 -> 2 five times.
# After every commit: /verify (the table, every stream's timer, request
# and connection) is ok, /resolve/localhost answers through the moved
# resolver, /banner is set, the filled keys are all there; at the end no
# request of the load failed.

SERVER=${SERVER:-hstream}
NUPDATES=6

check_web_extra() { # N
	got=$(wload get /resolve/localhost) || fail "after update $1: /resolve/localhost: $got"
	[ "$got" = 127.0.0.1 ] || fail "after update $1: localhost resolved to '$got'"
	got=$(wload get /banner) || fail "after update $1: /banner: $got"
	[ "$got" = "hstream 2 banner" ] || fail "after update $1: banner '$got'"
}

. "$(dirname "$0")/webkv/web-updates.sh"
