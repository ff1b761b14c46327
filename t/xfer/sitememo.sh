#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# sitememo.sh: what the transfer works out per allocation site (its ID
# and type in the new version: stf__peer_site_type, a name lookup) is
# worked out once per site, not once per object.  v1/sitememo holds
# 19,200 nodes of 128 sites, interleaved; the update to v2 (the same
# types) must commit and v2 find every node; the new version runs under
# callgrind and must have looked sites up a few hundred times, not once
# for most nodes (before: the per-site memo had 64 hashed slots, and
# sites sharing one missed it for each of their objects).
NAME=sitememo
. "${TSRC:?}/parts-lib.sh"
update_counted
calls=$(calls_of stf__peer_site_type)
echo "stf__peer_site_type ran $calls times"
[ "$calls" -lt 2000 ] ||
	fail "the sites of 19,200 objects of 128 sites were looked up $calls times"
echo "PASS: sitememo: each allocation site worked out once"
