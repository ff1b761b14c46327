#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# evbev (evbev/: libevent's evconnlistener, a bufferevent per client whose
# callback argument is the client's struct in the program's heap,
# evbuffer_readln and evbuffer_add_printf, a timer made by event_new, the
# update point on stf_update_fd()) under idload's checking load, updated
# 1 -> 2 (struct client gains a member in the middle) and then 2 -> 2
# eleven times.  After every commit: VERIFY (every key in its bucket, the
# client list, every client's bufferevent on its socket) passes, every key
# is there, and no request of the load failed: the held connections are
# served through the bufferevents libevent made before the updates.

SERVER=evbev
VERSION_1="VERSION 1"
VERSION_2="VERSION 2"
. "$(dirname "$0")/lib.sh"

run_updates
