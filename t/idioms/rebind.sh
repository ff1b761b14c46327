#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# rebind (rebind/: a libevent key-value cache on TCP, a UNIX socket and
# UDP whose startup has no stf_is_updating() guard: every start binds its
# three sockets, the UNIX one after unlinking its path, and creates a
# timerfd it keeps in a static only) under idload's
# checking load, updated 1 -> 2 and then 2 -> 2 eleven times.  The new
# version's bind() gets the socket the old version listens on (libstf's
# rebind.c), where it failed with EADDRINUSE.  After every commit the
# UNIX socket (at the same path) and the UDP socket answer as the new
# release with the state, and the process holds no more descriptors than
# after the first update: the startup's duplicates and its timerfd, whose
# static the transfer overwrote with the old version's, are closed.

SERVER=rebind
VERSION_1="VERSION 1"
VERSION_2="VERSION 2"
. "$(dirname "$0")/lib.sh"

# ask unix|udp REQUEST: the server's reply on that socket.
ask() {
	python3 - "$1" "$2" "$tmp/port" <<'PY'
import socket, sys
kind, req, cfg = sys.argv[1:4]
if kind == "udp":
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(10)
    s.sendto(req.encode(), ("127.0.0.1", int(open(cfg + ".udp").read())))
    print(s.recv(4096).decode().strip())
else:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(cfg + ".sock")
    s.sendall((req + "\n").encode())
    print(s.makefile().readline().strip())
PY
}

fill_extra() {
	[ "$(send "SET rebound over-tcp")" = OK ] || fail "SET over TCP"
}

fds_first=
check_extra() {
	for kind in unix udp; do
		r=$(ask $kind VERSION 2>&1)
		[ "$r" = "VERSION $1" ] || fail "release $1 over $kind: '$r' to VERSION"
		r=$(ask $kind "GET rebound" 2>&1)
		[ "$r" = "VALUE over-tcp" ] || fail "release $1 over $kind: '$r' to GET"
	done
	r=$(ask unix UPTIME 2>&1)
	case $r in "UPTIME "*) ;; *) fail "release $1: '$r' to UPTIME" ;; esac
	[ "$1" = 2 ] || return 0
	fds=$(ls "/proc/$(served_pid)/fd" | wc -l)
	[ -n "$fds_first" ] || fds_first=$fds
	[ "$fds" -le $((fds_first + 2)) ] ||
		fail "$fds descriptors, $fds_first after the first update: the startup's are left open"
}

run_updates
