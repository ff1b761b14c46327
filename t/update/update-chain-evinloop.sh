#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# update-chain-libevent.sh (ten chained updates under load, the objects
# and the event library's descriptors flat from update 2 on) with the
# loop of memcached's 6-line recipe (v1/evstartup.c "inloop"): the new
# version parks inside event_base_loop() on its startup's base, so at
# each commit that base is kept (the thread goes on down its loop), and
# the program runs the transferred base from its next round on.  Nothing
# carried reaches the startup's base at the next update: before, it was
# carried anyway (a library's block was never left behind), with its
# epoll instance and pipe, so every update added 3 descriptors and the
# base's blocks (memcached: 19 descriptors an update).  Now it is dropped
# and its descriptors closed.
EVSTARTUP_MODE=inloop
MIN_FREED=0
. "${TSRC:-.}/update-chain-libevent.sh"
