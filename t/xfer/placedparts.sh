#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# placedparts.sh: typed objects kept at their address for an untyped
# word (pinned) and untyped blocks kept at theirs (their words
# classified) are transformed in the parts of the parallel transform,
# not left to the serial loop (a libevent-shaped heap's connections and
# buffers), and give what one thread gives.  v1/placedparts holds 60,000
# connections, each pinned by a slot of an untyped fd map and holding an
# untyped buffer that points back to it; v2 reorders the connection's
# members.  The update is run through the real ttstd with
# STF_XFER_THREADS=1 and =4: both must commit, v2 must find every
# connection through the map and its buffer, the reports must count the
# same, and with 4 threads the parts must have transformed the
# connections and buffers (120,000 objects), deferring none.
NAME=placedparts
. "${TSRC:?}/parts-lib.sh"

update_at_1_and_4_threads '"(outcome|static_objects|dynamic_objects|bytes|pointers|type_transforms|integers|nowhere|dropped|added|pinned|member_moved)"'
grep -q '"pinned":[1-9]' "$WORK/found.1" || fail "no object pinned"
transformed_in_parts 120000 'the 120,000 connections and buffers'
echo "PASS: placedparts: pinned and placed objects transformed in parts ($in_parts), as on one thread"
