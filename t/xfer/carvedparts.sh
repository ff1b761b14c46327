#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
#
# carvedparts.sh: 1 MiB slab pages the program carves into objects
# itself (memcached's: kept at their address, their words classified as
# a block of bytes holding addresses, bytes.c, or as one struct whose
# flexible array holds them, flex-pages.c) are transformed in the parts
# of the parallel transform, cut by cost (a page counts for its words),
# not left to the serial loop, and give what one thread gives.  v1/carvedparts holds 8 such pages (about 49,000 items on
# an LRU list across them and in a typed hash table); v2 has the same
# types.  The update is run through the real ttstd with
# STF_XFER_THREADS=1 and =4: both must commit, v2 must find every item,
# the reports must count the same, and with 4 threads the parts must
# have transformed every page, deferring none.
NAME=carvedparts
. "${TSRC:?}/parts-lib.sh"

update_at_1_and_4_threads '"(outcome|static_objects|dynamic_objects|bytes|pointers|type_transforms|integers|nowhere|dropped|added|pinned)"'
grep -q '"pinned":[1-9]' "$WORK/found.1" || fail "no page kept at its address"
transformed_in_parts 8 'the 8 pages'
echo "PASS: carvedparts: carved slab pages transformed in parts ($in_parts objects), as on one thread"
