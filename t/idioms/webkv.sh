#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# webkv (webkv/, a held-out server of wave 8: libevent's evhttp; replies
# to GET deferred by 1 ms one-shot timers (event_base_once with the request
# as the `void *` argument), so requests are in flight inside libevent at
# every update; a close callback per connection whose argument is a record
# on a list of peers), under the checking HTTP load of webkv/wload.py,
# updated 1 -> 2 and then 2 -> 2 five times.  After every commit: the new
# release answers, /verify (hash chains, the peer list) is ok, the filled
# keys are all there; at the end no request of the load failed.

SERVER=webkv
NUPDATES=6
. "$(dirname "$0")/webkv/web-updates.sh"
